/**
 * Data of region `eu` may go to an endpoint in `eu` or in a sub-region such as `eu-west-1`;
 * data pinned to `eu-west-1` may go only there or below it, never to an endpoint that just says
 * `eu` (which could be anywhere in the EU). Data without a residency may go anywhere.
 */
export function residencyAllows(dataRegion: string | undefined, endpointRegion: string): boolean {
  if (dataRegion === undefined) return true;
  return endpointRegion === dataRegion || endpointRegion.startsWith(`${dataRegion}-`);
}
