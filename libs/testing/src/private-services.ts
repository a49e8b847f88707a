import { ChildProcess, execFileSync, spawn, SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from './private-redis';

/**
 * Throwaway Redis and Postgres servers for fault tests. The machine's own servers are shared by
 * everyone working here, so a test that stops, kills or restarts a server starts its own, on a
 * free port with its data in a temporary directory, and removes it afterwards.
 */

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const ROOT = resolve(__dirname, '../../..');

/** Whatever a spec leaves running when it dies goes with the Jest process. */
const leftovers = new Set<() => void>();
process.once('exit', () => {
  for (const cleanup of leftovers) {
    try {
      cleanup();
    } catch {
      // best effort on the way out
    }
  }
});


/** Polls until `predicate` holds; the error names what was awaited. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition', intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function exitedProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

export interface ThrowawayRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The server's pid, while it runs. */
  readonly pid: number | undefined;
  /** Stops the server: SIGKILL is a crash, SIGTERM a clean shutdown. */
  stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts it again on the same port and directory (an append-only file, if any, is replayed). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface ThrowawayRedisOptions {
  /**
   * `none` (the default: `--save '' --appendonly no`) keeps nothing across a restart; `aof` is what
   * production runs (docker-compose.yml): `--appendonly yes --appendfsync everysec`.
   */
  persistence?: 'none' | 'aof';
}

export async function startThrowawayRedis(options: ThrowawayRedisOptions = {}): Promise<ThrowawayRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'fs-redis-'));
  const persistence = options.persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--loglevel', 'warning'];
  let child: ChildProcess | undefined;
  const kill = () => child?.kill('SIGKILL');
  const cleanup = () => {
    kill();
    rmSync(dir, { recursive: true, force: true });
  };
  leftovers.add(cleanup);

  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      // Loading an append-only file answers LOADING until done: PONG means ready.
      await waitUntil(async () => {
        if (probe.status !== 'ready') await probe.connect().catch(() => probe.disconnect());
        return (await probe.ping()) === 'PONG';
      }, 10_000, `redis on :${port}`, 50);
    } finally {
      probe.disconnect();
    }
  };
  const stop = async (signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL') => {
    const running = child;
    if (!running) return;
    running.kill(signal);
    await exitedProcess(running);
    child = undefined;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    stop,
    start,
    async close() {
      await stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      leftovers.delete(cleanup);
    },
  };
}

export interface ThrowawayPostgres {
  /** postgresql:// URL of the migrated database (no schema parameter: the public schema). */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** `fast` disconnects clients and shuts down cleanly; `immediate` is a crash (recovery on start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  /** How long initdb, the first start and the migrations took, for reports. */
  readonly timings: { initdbMs: number; startMs: number; migrateMs: number };
}

/** initdb and postgres refuse to run as root: when we are root they run as the postgres user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function run(command: string, args: string[], user: { uid: number; gid: number } | undefined, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const options: SpawnOptions = { stdio: ['ignore', 'ignore', 'pipe'], env, ...(user ?? {}) };
    const child = spawn(command, args, options);
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim()}`))));
  });
}

export async function startThrowawayPostgres(options: { database?: string; migrate?: boolean } = {}): Promise<ThrowawayPostgres> {
  if (!existsSync(join(PG_BIN, 'initdb'))) throw new Error(`${PG_BIN}/initdb is missing: set PG_BIN to PostgreSQL's bin directory`);
  const user = postgresUser();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'fs-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const database = options.database ?? 'flowsmith';
  const ctl = (...args: string[]) => run(join(PG_BIN, 'pg_ctl'), ['-D', data, ...args], user);
  const pgOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=100`;
  const stopNow = () => {
    if (!existsSync(join(data, 'postmaster.pid'))) return;
    execFileSync(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore', ...(user ?? {}) });
  };
  const cleanup = () => {
    stopNow();
    rmSync(dir, { recursive: true, force: true });
  };
  leftovers.add(cleanup);

  const timings = { initdbMs: 0, startMs: 0, migrateMs: 0 };
  let t = Date.now();
  await run(join(PG_BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'], user);
  timings.initdbMs = Date.now() - t;
  const start = () => ctl('-o', pgOptions, '-l', join(dir, 'postgres.log'), '-w', '-t', '30', 'start');
  t = Date.now();
  await start();
  timings.startMs = Date.now() - t;

  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const url = `postgresql://postgres@127.0.0.1:${port}/${database}`;
  if (options.migrate !== false) {
    // The real migrations, as global-setup.ts applies them to a test schema.
    t = Date.now();
    await run(resolve(ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], undefined, { ...process.env, DATABASE_URL: url });
    timings.migrateMs = Date.now() - t;
  }
  return {
    url,
    port,
    dir,
    timings,
    stop: (mode: 'fast' | 'immediate' = 'fast') => ctl('-m', mode, '-w', '-t', '30', 'stop'),
    start,
    async close() {
      try {
        stopNow();
      } finally {
        rmSync(dir, { recursive: true, force: true });
        leftovers.delete(cleanup);
      }
    },
  };
}

/** Every process below `root` with its command line, from /proc (Chromium's, the JVM's). */
export function descendantProcesses(root: number): Array<{ pid: number; ppid: number; command: string }> {
  const all: Array<{ pid: number; ppid: number; command: string }> = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue; // a zombie is already dead
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      all.push({ pid: Number(entry), ppid, command });
    } catch {
      // gone while we looked
    }
  }
  const found: Array<{ pid: number; ppid: number; command: string }> = [];
  const walk = (pid: number) => all.filter((p) => p.ppid === pid).forEach((child) => (found.push(child), walk(child.pid)));
  walk(root);
  return found;
}

export function processAlive(pid: number): boolean {
  try {
    return existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
