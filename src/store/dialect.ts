export type Dialect = "sqlite" | "postgres";

export function dialectOf(databaseUrl: string): Dialect {
  return databaseUrl.startsWith("sqlite:") ? "sqlite" : "postgres";
}
