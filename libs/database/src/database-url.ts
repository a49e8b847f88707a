import type { PoolConfig } from 'pg';

/**
 * Splits a DATABASE_URL into a pg pool config and the Postgres schema named by its `schema`
 * parameter (one schema per test run). The driver adapter ignores that parameter, so the schema is
 * passed to it explicitly and set as the connection's search_path for raw SQL.
 */
export function parseDatabaseUrl(databaseUrl: string, poolSize = 10): { pool: PoolConfig; schema: string | undefined } {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  return {
    schema,
    pool: {
      connectionString: url.toString(),
      max: poolSize,
      ...(schema ? { options: `-c search_path="${schema.replace(/"/g, '')}"` } : {}),
    },
  };
}
