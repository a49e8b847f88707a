import "dotenv/config";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

// Workaround 1 (prisma/orm#27403): the wasm schema engine + adapter-pg cannot handle
// PostgreSQL internal types `name` (OID 19) and `"char"` (OID 18). Report them as TEXT (OID 25).
const REMAP: Record<number, number> = { 19: 25, 18: 25 };
const fix = (res: any) => {
  for (const f of res?.fields ?? []) if (REMAP[f.dataTypeID]) f.dataTypeID = REMAP[f.dataTypeID];
  return res;
};
const origQuery = (pg.Client.prototype as any).query;
(pg.Client.prototype as any).query = function (...args: any[]) {
  const i = args.findIndex((a) => typeof a === "function");
  if (i >= 0) { const cb = args[i]; args[i] = (e: any, r: any) => cb(e, e ? r : fix(r)); }
  else if (args[0] && typeof args[0].callback === "function") { const cb = args[0].callback; args[0].callback = (e: any, r: any) => cb(e, e ? r : fix(r)); }
  const r = origQuery.apply(this, args);
  return r && typeof r.then === "function" ? r.then(fix) : r;
};

// Workaround 3: the wasm schema engine leaves 10 s / 60 s timers running, so every
// migrate command would linger ~60 s after finishing. Unref long timers.
const origSetTimeout = globalThis.setTimeout;
(globalThis as any).setTimeout = (fn: any, ms?: number, ...a: any[]) => {
  const t: any = origSetTimeout(fn, ms, ...a);
  if ((ms ?? 0) >= 10_000) t?.unref?.();
  return t;
};

// Workaround 2: adapter-pg's connectToShadowDb() keeps the main DB when a connectionString is
// given, and drops the shadow DB before closing its pool. Use discrete fields and our own shadow DB.
// The `schema` query parameter of DATABASE_URL (one schema per test run) must reach the engine.
const schema = new URL(process.env.DATABASE_URL!).searchParams.get("schema") ?? undefined;
function pgConfig(dbName?: string): pg.PoolConfig {
  const u = new URL(process.env.DATABASE_URL!);
  return { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password), database: dbName ?? u.pathname.slice(1), allowExitOnIdle: true,
    ...(schema ? { options: `-c search_path="${schema}"` } : {}) };
}
class MigratePg extends PrismaPg {
  constructor() { super(pgConfig(), { schema }); }
  override async connectToShadowDb(): Promise<any> {
    const name = `prisma_shadow_${process.pid}_${Date.now()}`;
    const admin = new pg.Client(pgConfig());
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const shadow = await new PrismaPg(pgConfig(name), { schema }).connect();
    const dispose = shadow.dispose.bind(shadow);
    (shadow as any).dispose = async () => {
      await dispose();
      const c = new pg.Client(pgConfig());
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    };
    return shadow;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new MigratePg(),
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
