import type { ConnectionOptions } from 'bullmq';
import { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { BaseEnv } from '@flowsmith/config';

export type RedisRole = 'command' | 'queue';

/** A single Redis or Sentinel-managed master (both `Redis`), or a Cluster. */
export type RedisClient = Redis | Cluster;

/** The variables that say where Redis is; see BaseEnv. */
export type RedisSettings = Pick<BaseEnv, 'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_SENTINEL_PASSWORD' | 'REDIS_CLUSTER_NODES'>;

export type RedisTopology =
  | { kind: 'single'; url: string }
  | { kind: 'sentinel'; sentinels: Array<{ host: string; port: number }>; name: string; options: RedisOptions }
  | { kind: 'cluster'; nodes: Array<{ host: string; port: number }>; options: RedisOptions };

function hostPorts(list: string): Array<{ host: string; port: number }> {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.lastIndexOf(':');
      return { host: entry.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(entry.slice(colon + 1)) };
    });
}

/** What REDIS_URL contributes to Sentinel and Cluster nodes: credentials, TLS and (Sentinel only) the database. */
function urlCredentials(url: string): RedisOptions {
  const parsed = new URL(url);
  const options: RedisOptions = {};
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === 'rediss:') options.tls = {};
  const db = Number(parsed.pathname.slice(1) || 0);
  if (db) options.db = db;
  return options;
}

/** Which topology the environment names (loadEnv has already refused two at once). */
export function redisTopology(settings: RedisSettings): RedisTopology {
  if (settings.REDIS_CLUSTER_NODES) {
    const options = urlCredentials(settings.REDIS_URL);
    delete options.db; // Cluster has db 0 only (loadEnv refuses another)
    return { kind: 'cluster', nodes: hostPorts(settings.REDIS_CLUSTER_NODES), options };
  }
  if (settings.REDIS_SENTINELS) {
    const options = urlCredentials(settings.REDIS_URL);
    if (settings.REDIS_SENTINEL_PASSWORD) options.sentinelPassword = settings.REDIS_SENTINEL_PASSWORD;
    if (options.tls) Object.assign(options, { enableTLSForSentinelMode: true, sentinelTLS: {} });
    return { kind: 'sentinel', sentinels: hostPorts(settings.REDIS_SENTINELS), name: settings.REDIS_SENTINEL_NAME, options };
  }
  return { kind: 'single', url: settings.REDIS_URL };
}

const retryStrategy = (times: number) => Math.min(times * 200, 2000);

// After a Sentinel failover a connection may still reach the demoted master: reconnect (Sentinel
// names the new one) and resend the command.
const reconnectOnReadonly = (error: Error) => (error.message.startsWith('READONLY') ? 2 : false);

/**
 * One place that knows how each kind of process talks to Redis, in every topology.
 * - `queue`: BullMQ workers and queues need `maxRetriesPerRequest: null` and wait out outages.
 * - `command`: request paths (rate limits, caches) fail fast, so the gateway can answer 503
 *   instead of hanging while Redis is away.
 * A plain URL (single Redis) is accepted too, for tools and specs.
 */
export function createRedis(url: string, role: RedisRole, overrides?: RedisOptions): Redis;
export function createRedis(settings: RedisSettings, role: RedisRole, overrides?: RedisOptions): RedisClient;
export function createRedis(target: string | RedisSettings, role: RedisRole, overrides: RedisOptions = {}): RedisClient {
  const topology = typeof target === 'string' ? ({ kind: 'single', url: target } as const) : redisTopology(target);
  const base: RedisOptions =
    role === 'queue'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : // A Redis that hangs (rather than refuses) must not hang requests: each command gets 2 s.
        { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true, connectTimeout: 2000, commandTimeout: 2000 };
  const common: RedisOptions = { lazyConnect: false, retryStrategy, ...base, ...overrides };
  switch (topology.kind) {
    case 'single':
      return new Redis(topology.url, common);
    case 'sentinel':
      return new Redis({ ...topology.options, ...common, sentinels: topology.sentinels, name: topology.name, reconnectOnError: reconnectOnReadonly });
    case 'cluster':
      return new Cluster(topology.nodes, clusterOptions(topology.options, common));
  }
}

/** Client-wide settings belong to the Cluster object; connection settings go to every node. */
function clusterOptions(credentials: RedisOptions, options: RedisOptions): ClusterOptions {
  const { enableOfflineQueue, enableReadyCheck, enableAutoPipelining, lazyConnect, retryStrategy: retry, ...node } = options;
  const cluster: ClusterOptions = { enableOfflineQueue, enableReadyCheck, enableAutoPipelining, lazyConnect, clusterRetryStrategy: retry ?? retryStrategy };
  for (const name of Object.keys(cluster) as Array<keyof ClusterOptions>) if (cluster[name] === undefined) delete cluster[name];
  return { ...cluster, redisOptions: { ...credentials, ...node } };
}

/** The BullMQ key prefix of a deployment: every queue key starts with it. */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}bull`;
}

/**
 * BullMQ connection options for a single Redis URL. Given options (not a client), BullMQ creates
 * its own connections and closes them with the queue or worker; a shared client would be left open.
 */
export function bullConnection(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null, retryStrategy };
}

/** A BullMQ `connection` for a topology, and how to release what we created for it. */
export interface BullConnection {
  connection: ConnectionOptions;
  close(): Promise<void>;
}

/**
 * BullMQ connections for any topology. Single Redis and Sentinel are options: BullMQ opens
 * connections from them and closes them itself. BullMQ builds a Cluster only from a Cluster
 * instance: a Queue uses that instance as is and never closes it (hence `close`), while Workers
 * and QueueEvents duplicate it for their blocking connections and close the duplicates.
 */
export function openBullConnection(settings: RedisSettings): BullConnection {
  const topology = redisTopology(settings);
  if (topology.kind === 'single') return { connection: bullConnection(topology.url), close: async () => undefined };
  if (topology.kind === 'sentinel') {
    return {
      connection: { ...topology.options, sentinels: topology.sentinels, name: topology.name, maxRetriesPerRequest: null, retryStrategy, reconnectOnError: reconnectOnReadonly },
      close: async () => undefined,
    };
  }
  // Lazy: a process that only duplicates it (a worker without a Queue) never opens it.
  const cluster = createRedis(settings, 'queue', { lazyConnect: true }) as Cluster;
  return {
    connection: cluster,
    close: async () => {
      if (cluster.status === 'wait' || cluster.status === 'end') return void cluster.disconnect();
      await cluster.quit().catch(() => cluster.disconnect());
    },
  };
}
