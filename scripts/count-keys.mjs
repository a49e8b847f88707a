// Prints how many API keys exist, so `npm run up` mints a first key only on a fresh database.
import pg from 'pg';

const url = new URL(process.env.DATABASE_URL);
const schema = url.searchParams.get('schema') ?? 'public';
url.searchParams.delete('schema');
const client = new pg.Client({ connectionString: url.toString() });
await client.connect();
const { rows } = await client.query(`SELECT count(*)::int AS n FROM "${schema.replace(/"/g, '')}".api_keys`);
console.log(rows[0].n);
await client.end();
