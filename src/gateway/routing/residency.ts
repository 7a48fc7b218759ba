/**
 * Data of region `eu` may go to an endpoint in `eu` or in a sub-region such as `eu-west-1`;
 * data pinned to `eu-west-1` may go only there or below it, never to an endpoint that just says
 * `eu` (which could be anywhere in the EU). Data without a residency may go anywhere.
 */
export function residencyAllows(dataRegion: string | undefined, endpointRegion: string): boolean {
  if (dataRegion === undefined) return true;
  return endpointRegion === dataRegion || endpointRegion.startsWith(`${dataRegion}-`);
}

/**
 * The regions a call's data resides in, as policies read them (context.data_regions): the
 * region it names and every region above it, so that data pinned to `eu-west-1` is `eu` data
 * to a policy that says `context.data_regions.contains("eu")`.
 */
export function regionsOf(dataRegion: string | undefined): string[] {
  if (dataRegion === undefined) return [];
  const parts = dataRegion.split("-");
  return parts.map((_, i) => parts.slice(0, parts.length - i).join("-"));
}
