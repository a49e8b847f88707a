// Reaches Postgres and Redis as DATABASE_URL and REDIS_URL say; creates the database if it is
// missing. Usage: node scripts/check-services.mjs postgres redis [--wait SECONDS]
import net from 'node:net';
import pg from 'pg';

const args = process.argv.slice(2);
const waitIndex = args.indexOf('--wait');
const waitSeconds = waitIndex >= 0 ? Number(args[waitIndex + 1]) : 0;
const wanted = args.filter((a, i) => !a.startsWith('--') && (waitIndex < 0 || i !== waitIndex + 1));
const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/flowsmith';
const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

async function postgres() {
  const url = new URL(databaseUrl);
  const database = url.pathname.slice(1);
  url.searchParams.delete('schema');
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 2000 });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
      console.log(`created database ${database}`);
    }
  } finally {
    await admin.end();
  }
}

function redis() {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(redisUrl.port || 6379), redisUrl.hostname);
    socket.setTimeout(2000, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      socket.end();
      /PONG|NOAUTH/.test(data.toString()) ? resolve() : reject(new Error(data.toString().trim()));
    });
    socket.on('error', reject);
  });
}

const checks = { postgres, redis };
const deadline = Date.now() + waitSeconds * 1000;
for (const name of wanted) {
  for (;;) {
    try {
      await checks[name]();
      console.log(`${name}: ok`);
      break;
    } catch (error) {
      if (Date.now() >= deadline) {
        console.error(`${name}: unreachable (${error.message})`);
        process.exit(1);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
