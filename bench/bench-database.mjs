// The bench database (BENCH_DATABASE_URL, created when missing) and a fresh schema in it for one run,
// so benches never touch a deployment's or a test run's data. Shared by bench/{render,generation,load}.
import pg from 'pg';

export async function benchDatabase(kind) {
  const base = new URL(process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/flowsmith_bench');
  const schema = `bench_${kind}_${Date.now().toString(36)}`;
  const database = base.pathname.slice(1);
  const admin = new pg.Client({ connectionString: new URL('/postgres', base).toString() });
  await admin.connect();
  try {
    if (!(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  const dbUrl = new URL(base);
  dbUrl.searchParams.set('schema', schema);
  return { base, schema, dbUrl };
}
