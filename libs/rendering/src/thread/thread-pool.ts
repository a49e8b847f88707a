import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import type { EngineResult } from '../engine';
import { SLOW_START_LANGUAGES, type ScriptLanguage, type ScriptTextLanguage } from '../engines-script';
import type { ThemePalette } from '../themes';
import type { Drawing } from './drawing';
import type { ThreadReply, ThreadTask } from './thread-worker';

export type ThreadResult = EngineResult<Drawing>;

export interface ThreadLimits {
  runMs: number;
  deadline?: number;
}

export interface ThreadPoolOptions {
  /** Sources drawn at once; one per core by default. */
  threads?: number;
  /** A thread whose JavaScript heap passes this is stopped (output_too_large); 256 by default. */
  memoryMb?: number;
  /** Start every thread at once (the worker); otherwise on demand. */
  warm?: boolean;
}

const LIBS = resolve(__dirname, '..', '..', '..');

/** Every TypeScript file under libs/rendering/src and libs/contracts/src: what the thread's bundle is built from. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('spec.ts') ? [path] : [];
  });
}

/**
 * The thread's script: `thread-worker.mjs`, built beside this file in dist/ (npm run build);
 * from the sources (Jest runs TypeScript), bundled with esbuild into node_modules/.cache, keyed
 * by a hash of the sources. An ES module in both, with every package left to Node to load.
 */
export function threadScript(): string {
  const built = join(__dirname, 'thread-worker.mjs');
  if (existsSync(built)) return built;
  const files = [...sourceFiles(join(LIBS, 'rendering/src')), ...sourceFiles(join(LIBS, 'contracts/src'))].sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update(readFileSync(file));
  const dir = resolve(LIBS, '../node_modules/.cache/flowsmith');
  const out = join(dir, `thread-worker-${hash.digest('hex').slice(0, 12)}.mjs`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.mjs`;
    buildThreadScript(join(__dirname, 'thread-worker.ts'), tmp);
    renameSync(tmp, out);
  }
  return out;
}

/** esbuild's bundle of the thread from its source (`npm run build` runs it for dist/ through scripts/build-threads.cjs). */
export function buildThreadScript(entry: string, outfile: string): void {
  const esbuild = require('esbuild') as typeof import('esbuild');
  // The workspace's path aliases, read from the sources' own tree (entry: libs/rendering/src/thread/thread-worker.ts).
  const tsconfig = resolve(entry, '../../../../../tsconfig.base.json');
  esbuild.buildSync({ entryPoints: [entry], outfile, bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', tsconfig, logLevel: 'error' });
}

/**
 * The threads that draw the script languages (engines-script.ts): a Piscina pool of worker
 * threads, each loading a language's library on its first source and keeping it. Each source has
 * a thread to itself, and a thread that passes the deadline is stopped (Piscina terminates the
 * thread of an aborted task) and replaced, so a layout that never ends costs its own thread and
 * nothing else; a thread whose heap passes `memoryMb` dies the same way (output_too_large).
 */
export class ThreadPool {
  private readonly piscina: Piscina;
  /** A thread of its own per slow-starting language (engines-script.ts), made on its first source and kept. */
  private readonly own = new Map<ScriptLanguage, Piscina>();

  constructor(private readonly options: ThreadPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    this.piscina = this.newPool({ minThreads: options.warm ? threads : 0, maxThreads: threads, idleTimeout: options.warm ? Infinity : 30_000 });
  }

  /** A Piscina pool of the thread script under the heap cap; `sizing` says how many threads and for how long. */
  private newPool(sizing: { minThreads: number; maxThreads: number; idleTimeout: number; workerData?: unknown }): Piscina {
    return new Piscina({ filename: threadScript(), ...sizing, resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb ?? 256 } });
  }

  /**
   * The pool a task runs in: the shared threads, or a slow-starting language's own thread, which
   * loads its library before it takes a task (thread-worker.ts). One such thread per language and
   * process: D2 draws in a quarter of a second once loaded, and each load costs seconds and memory.
   * A thread stopped at a deadline or over its memory is replaced by Piscina and loads again.
   */
  private poolFor(task: ThreadTask): Piscina {
    if (task.kind !== 'draw' || !SLOW_START_LANGUAGES.has(task.language)) return this.piscina;
    let pool = this.own.get(task.language);
    if (!pool) {
      pool = this.newPool({ minThreads: 1, maxThreads: 1, idleTimeout: Infinity, workerData: { preload: task.language } });
      this.own.set(task.language, pool);
    }
    return pool;
  }

  /**
   * `limits.runMs`: the engine's own limit, from the moment a thread takes the source (a source
   * queued behind others is not cut short by their time, as pages and the JVM do);
   * `limits.deadline`: when the caller stops waiting (epoch ms), queue included.
   */
  async draw(language: ScriptLanguage, source: string, palette: ThemePalette, limits: ThreadLimits): Promise<ThreadResult> {
    const done = await this.run({ kind: 'draw', language, source, palette }, limits);
    return done.ok ? { ok: true, value: { svg: done.value.output, diagramType: done.value.diagramType } } : done;
  }

  /** The source as text: ASCII art (`ascii`) or Unicode box drawing. */
  async text(language: ScriptTextLanguage, source: string, ascii: boolean, limits: ThreadLimits): Promise<EngineResult<{ text: string; diagramType: string }>> {
    const done = await this.run({ kind: 'text', language, source, ascii }, limits);
    return done.ok ? { ok: true, value: { text: done.value.output, diagramType: done.value.diagramType } } : done;
  }

  private async run(task: ThreadTask, limits: ThreadLimits): Promise<EngineResult<{ output: string; diagramType: string }>> {
    const controller = new AbortController();
    let limitMs = limits.runMs;
    const timers: NodeJS.Timeout[] = [];
    const abortAfter = (ms: number, limit: number) =>
      timers.push(
        setTimeout(() => {
          limitMs = limit;
          controller.abort();
        }, Math.max(0, ms)),
      );
    if (limits.deadline !== undefined) abortAfter(limits.deadline - Date.now(), Math.max(0, Math.round(limits.deadline - Date.now())));
    // The thread says when it takes the task; the engine's own limit runs from then.
    const { port1, port2 } = new MessageChannel();
    port1.once('message', () => abortAfter(limits.runMs, limits.runMs));
    try {
      const reply = (await this.poolFor(task).run({ ...task, started: port2 }, { signal: controller.signal, transferList: [port2] })) as ThreadReply;
      if (reply.ok) return { ok: true, value: { output: reply.output, diagramType: reply.diagramType } };
      return { ok: false, error: { code: 'parse_failed', message: reply.message, line: reply.line, column: reply.column } };
    } catch (error) {
      if (controller.signal.aborted) return { ok: false, error: { code: 'render_timeout', message: `The render did not finish within ${limitMs} ms.` } };
      if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        return { ok: false, error: { code: 'output_too_large', message: 'The drawing needs more memory than a render may use.' } };
      }
      throw error;
    } finally {
      for (const timer of timers) clearTimeout(timer);
      port1.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.piscina, ...this.own.values()].map((pool) => pool.destroy()));
  }
}
