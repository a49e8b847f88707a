import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Private redis-server processes for specs that need a topology (Cluster, Sentinel) or must kill
 * a Redis: each on free loopback ports in a temp dir of its own, never the machine's shared 6379.
 */
const everything = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of everything) child.kill('SIGKILL');
});

/** A port nobody listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout.trim();
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface PrivateRedisNode {
  port: number;
  process: ChildProcess;
}

/** A set of redis-server processes that live and die together with their temp dir. */
export class PrivateRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'flowsmith-redis-'));
  readonly nodes: PrivateRedisNode[] = [];

  /** Starts `redis-server` (or a sentinel with `--sentinel`) on `port`, and waits for PING. */
  async start(port: number, args: string[] = [], configFile?: string): Promise<PrivateRedisNode> {
    const dir = join(this.dir, String(port));
    const argv = [...(configFile ? [configFile] : []), '--port', String(port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', '--logfile', `${dir}.log`, ...args];
    const child = spawn('redis-server', argv, { cwd: this.dir, stdio: 'ignore' });
    everything.add(child);
    child.once('exit', () => everything.delete(child));
    const node = { port, process: child };
    this.nodes.push(node);
    await until(`redis-server on ${port}`, async () => (await redisCli(port, 'PING')) === 'PONG', 10_000);
    return node;
  }

  /** Kills one node at once (a crash, not a shutdown). */
  kill(node: PrivateRedisNode): void {
    node.process.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(
        ({ process: child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface PrivateCluster extends PrivateRedis {
  /** `REDIS_CLUSTER_NODES` for the cluster. */
  seeds: string;
}

/** A Cluster of `masters` masters (no replicas), all slots assigned and state ok. */
export async function startPrivateCluster(masters = 3): Promise<PrivateCluster> {
  const redis = new PrivateRedis() as PrivateCluster;
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      ports.push(port);
      await redis.start(port, ['--cluster-enabled', 'yes', '--cluster-config-file', join(redis.dir, `nodes-${port}.conf`), '--cluster-port', String(busPort), '--cluster-node-timeout', '2000']);
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-yes'], { timeout: 30_000 });
    await until('cluster_state:ok on every node', async () => {
      const states = await Promise.all(ports.map((port) => redisCli(port, 'CLUSTER', 'INFO')));
      return states.every((info) => info.includes('cluster_state:ok'));
    }, 20_000);
    redis.seeds = ports.map((port) => `127.0.0.1:${port}`).join(',');
    return redis;
  } catch (error) {
    await redis.stop();
    throw error;
  }
}

export interface PrivateSentinel extends PrivateRedis {
  /** `REDIS_SENTINELS` for the setup. */
  sentinels: string;
  name: string;
  master: PrivateRedisNode;
  replica: PrivateRedisNode;
  sentinel: PrivateRedisNode;
  /** The port Sentinel currently names as the master. */
  masterPort(): Promise<number>;
  /** `SENTINEL FAILOVER`, and waits until the replica is master and Sentinel says so. */
  failover(): Promise<number>;
}

/** A master, one replica and one Sentinel (quorum 1) watching them as `name`. */
export async function startPrivateSentinel(name = 'mymaster'): Promise<PrivateSentinel> {
  const redis = new PrivateRedis() as PrivateSentinel;
  try {
    const [masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
    redis.name = name;
    redis.master = await redis.start(masterPort);
    redis.replica = await redis.start(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]);
    await until('the replica in sync', async () => (await redisCli(replicaPort, 'INFO', 'replication')).includes('master_link_status:up'), 10_000);
    const conf = join(redis.dir, 'sentinel.conf');
    // Sentinel rewrites its config file, so it must be a writable file of ours.
    writeFileSync(conf, [`sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`, `sentinel down-after-milliseconds ${name} 1000`, `sentinel failover-timeout ${name} 10000`, ''].join('\n'));
    redis.sentinel = await redis.start(sentinelPort, ['--sentinel'], conf);
    redis.sentinels = `127.0.0.1:${sentinelPort}`;
    redis.masterPort = async () => Number((await redisCli(sentinelPort, 'SENTINEL', 'get-master-addr-by-name', name)).split('\n')[1]);
    // Refresh replica info every 100 ms rather than 10 s, so a failover finds a replica it trusts at once.
    await redisCli(sentinelPort, 'SENTINEL', 'DEBUG', 'INFO-PERIOD', '100');
    await until('Sentinel to see the replica', async () => (await redisCli(sentinelPort, 'SENTINEL', 'REPLICAS', name)).includes(String(replicaPort)), 10_000);
    redis.failover = async () => {
      const before = await redis.masterPort();
      await until('SENTINEL FAILOVER to be accepted', async () => (await redisCli(sentinelPort, 'SENTINEL', 'FAILOVER', name)) === 'OK', 10_000);
      await until('the new master', async () => {
        const now = await redis.masterPort();
        return now !== before && (await redisCli(now, 'ROLE')).startsWith('master');
      }, 15_000);
      return redis.masterPort();
    };
    return redis;
  } catch (error) {
    await redis.stop();
    throw error;
  }
}

/** The Redis settings Flowsmith runs with (append-only file, fsync every second, noeviction). */
export const PROJECT_REDIS_CONF = resolve(__dirname, '../../../deploy/redis.conf');

export interface ProjectRedis {
  readonly url: string;
  readonly port: number;
  /** Its data directory: the append-only files live in `appendonlydir` below it. */
  readonly dir: string;
  /** SIGKILL is a crash (at most the last second of writes lost), SIGTERM a clean shutdown. */
  stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts it again on the same port and directory, and waits until the append-only file is replayed. */
  start(): Promise<void>;
  /** Deletes what it keeps on disk (while it is stopped): the next start is an empty Redis. */
  wipe(): void;
  close(): Promise<void>;
}

/**
 * A redis-server started from deploy/redis.conf, the file `npm run up` starts its Redis with
 * (scripts/lib.sh), on a free port with its data in a temp dir; restartable in place, so a spec
 * can crash it and see what the append-only file kept.
 */
export async function startProjectRedis(): Promise<ProjectRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'flowsmith-redis-aof-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    if (child) return;
    const started = spawn('redis-server', [PROJECT_REDIS_CONF, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', join(dir, 'redis.log')], { cwd: dir, stdio: 'ignore' });
    child = started;
    everything.add(started);
    started.once('exit', () => {
      everything.delete(started);
      if (child === started) child = undefined;
    });
    // While it replays its file Redis answers LOADING: PONG means every kept job is back.
    await until(`redis-server on ${port}`, async () => (await redisCli(port, 'PING')) === 'PONG', 30_000);
  };
  const stop = async (signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL') => {
    const running = child;
    if (!running) return;
    const exited = new Promise<void>((done) => running.once('exit', () => done()));
    running.kill(signal);
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop,
    start,
    wipe: () => rmSync(join(dir, 'appendonlydir'), { recursive: true, force: true }),
    async close() {
      await stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
