import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setPriority } from 'node:os';
import { Logger } from '@nestjs/common';
import type { RenderFailure } from '@flowsmith/contracts';
import { metrics } from '@flowsmith/observability';
import type { DrawRasterRequest } from './draw-raster';
import type { RasterChildReply, RasterChildRequest, RasterChildStatus } from './raster-child';

export type RasterResult = { ok: true; data: Buffer; width: number; height: number } | { ok: false; error: RenderFailure };

export interface RasterPoolOptions {
  /** The Chromium each raster process draws in (draw-raster.ts). */
  chromiumPath: string;
  /** Raster processes, i.e. pictures (PNG, JPEG, WebP, PDF) drawn at once. */
  size: number;
  /**
   * A process whose drawing adds more than this to the resident memory of it and its browser
   * (over what they held idle) is killed: output_too_large.
   */
  memoryMb: number;
  /** Start each process's browser, and draw once, right away in the background (the worker); otherwise with its first picture. */
  warm?: boolean;
  /**
   * The processes' nice value (0 by default). The best-effort lane's pool runs at 19, so its
   * drawings, a filter bomb included, get only the CPU that paying work leaves idle.
   */
  nice?: number;
}

type KillReason = 'timeout' | 'memory' | 'closed';

interface Task {
  id: number;
  request: DrawRasterRequest;
  deadline: number;
  settle: (result: RasterResult) => void;
  /** An infrastructure failure (the browser could not start): a throw, so the job is retried. */
  fail: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Child {
  process: ChildProcess;
  pid: number;
  /** Its Chromium's process id (a process group of its own), once launched. */
  browserPid?: number;
  /** A request that passed its deadline while the browser started: the process is busy until it answers it. */
  skipping?: number;
  /** Resident bytes of the process and its browser before the drawing in hand. */
  baseline?: number;
  ready: boolean;
  task: Task | null;
  startedAt: number;
  killed?: KillReason;
}

/** How often a busy process's memory is read (from /proc), and how long one may take to start. */
const MEMORY_POLL_MS = 50;
const START_TIMEOUT_MS = 15_000;
const PAGE_SIZE = 4096;

/**
 * The raster process's script: compiled beside this file in dist/; from the sources (Jest runs
 * TypeScript), bundled once with esbuild into node_modules/.cache, where `sharp` still resolves.
 */
function childScript(): string {
  const compiled = join(__dirname, 'raster-child.js');
  if (existsSync(compiled)) return compiled;
  const source = join(__dirname, 'raster-child.ts');
  const inputs = ['raster-child.ts', 'draw-raster.ts', '../browser/chromium-args.ts'].map((file) => readFileSync(join(__dirname, file)));
  const hash = createHash('sha256').update(Buffer.concat(inputs)).digest('hex').slice(0, 12);
  const dir = resolve(__dirname, '../../../../node_modules/.cache/flowsmith');
  const out = join(dir, `raster-child-${hash}.js`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const esbuild = require('esbuild') as typeof import('esbuild');
    const built = esbuild.buildSync({ entryPoints: [source], bundle: true, platform: 'node', target: 'node20', external: ['sharp', 'puppeteer'], write: false });
    const tmp = `${out}.${process.pid}`;
    writeFileSync(tmp, built.outputFiles[0].contents);
    renameSync(tmp, out);
  }
  return out;
}

/**
 * A few long-lived raster processes (raster-child.ts), each drawing one picture at a time in a
 * headless Chromium of its own. A drawing in a browser cannot be stopped from outside but by
 * killing the processes that draw it (a page's renderer may host others' pages, and closing a busy
 * page can take the browser along), so each picture has a process and a browser to itself, and both
 * are killed (SIGKILL, the browser's whole process group) and replaced when the drawing passes the
 * render's deadline (render_timeout) or adds more than `memoryMb` to their memory
 * (output_too_large). A request waits for a free process until its deadline. The processes run at
 * the pool's nice value, and their browsers inherit it.
 */
export class RasterPool {
  private readonly logger = new Logger(RasterPool.name);
  private readonly children = new Set<Child>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private script?: string;
  private memoryTimer?: NodeJS.Timeout;
  private failedStarts = 0;
  /** Processes killed or lost, by reason: for tests and logs (metrics count them too). */
  readonly kills = { timeout: 0, memory: 0, crashed: 0 };

  constructor(private readonly options: RasterPoolOptions) {}

  async start(): Promise<void> {
    this.script = childScript();
    await Promise.all(Array.from({ length: this.options.size }, () => this.spawn()));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.memoryTimer);
    for (const task of this.queue.splice(0)) this.finish(task, { ok: false, error: { code: 'render_timeout', message: 'The worker is shutting down.' } });
    await Promise.all(
      [...this.children].map(
        (child) =>
          new Promise<void>((done) => {
            if (child.process.exitCode !== null || child.process.signalCode !== null) return done();
            child.process.once('exit', () => done());
            this.kill(child, 'closed');
          }),
      ),
    );
  }

  /** The processes' ids, for fault tests. */
  pids(): number[] {
    return [...this.children].map((child) => child.pid);
  }

  /** Their browsers' process ids (those launched so far), for fault tests. */
  browserPids(): number[] {
    return [...this.children].flatMap((child) => (child.browserPid ? [child.browserPid] : []));
  }

  /**
   * 'ok', or why the pool cannot draw (for /readyz and the worker's registry entry). Busy is not
   * unable: processes drawing, or PNGs waiting for one, are 'ok'; only a pool with no live process
   * (all just killed and restarting, or failing to start) is not.
   */
  readiness(): 'ok' | string {
    if (this.closed) return 'closed';
    if ([...this.children].some((child) => child.ready && !child.killed)) return 'ok';
    return this.failedStarts ? `no raster process could start (${this.failedStarts} failed start(s) in a row)` : 'no raster process is running (restarting)';
  }

  /** Draws a picture before `deadline` (epoch ms), or fails with render_timeout / output_too_large. */
  draw(request: DrawRasterRequest, deadline: number): Promise<RasterResult> {
    if (this.closed) return Promise.resolve({ ok: false, error: { code: 'render_timeout', message: 'The worker is shutting down.' } });
    return new Promise<RasterResult>((settle, fail) => {
      const task: Task = { id: this.nextId++, request, deadline, settle, fail };
      const wait = deadline - Date.now();
      if (wait <= 0) return this.finish(task, timedOut());
      task.timer = setTimeout(() => this.expire(task), wait);
      this.queue.push(task);
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const child of this.children) {
      if (!this.queue.length) return;
      if (!child.ready || child.task || child.skipping || child.killed) continue;
      const task = this.queue.shift()!;
      child.task = task;
      child.startedAt = Date.now();
      child.baseline = child.browserPid ? treeBytes(child) : undefined;
      child.process.send({ id: task.id, deadline: task.deadline, ...task.request } satisfies RasterChildRequest);
      this.watchMemory();
    }
  }

  /** The deadline passed: a waiting task leaves the queue; a drawing in hand dies with its process. */
  private expire(task: Task): void {
    const index = this.queue.indexOf(task);
    if (index >= 0) {
      this.queue.splice(index, 1);
      return this.finish(task, timedOut());
    }
    const child = [...this.children].find((c) => c.task === task);
    if (!child) return;
    if (child.browserPid) return this.kill(child, 'timeout');
    // Still starting its browser, nothing drawn yet: the picture fails, but the process is kept,
    // or a loaded machine whose browsers start slower than the deadlines would never draw. It
    // skips the late request (raster-child.ts) and is free again when it says so.
    child.task = null;
    child.skipping = task.id;
    this.finish(task, timedOut());
  }

  private finish(task: Task, result: RasterResult): void {
    clearTimeout(task.timer);
    task.settle(result);
  }

  private kill(child: Child, reason: KillReason): void {
    if (child.killed) return;
    child.killed = reason;
    child.process.kill('SIGKILL');
    killBrowser(child);
    const task = child.task;
    child.task = null;
    if (reason !== 'closed') {
      this.kills[reason]++;
      metrics.engineRestarts.inc({ engine: 'raster', reason });
      this.logger.warn(`raster process ${child.pid} killed: ${reason === 'timeout' ? 'its drawing passed the deadline' : `it used over ${this.options.memoryMb} MB`}`);
    }
    if (task) {
      this.finish(
        task,
        reason === 'memory'
          ? { ok: false, error: { code: 'output_too_large', message: `Drawing the picture needed more than ${this.options.memoryMb} MB. Use a smaller scale or the SVG format.` } }
          : timedOut(),
      );
    }
    // Replace it at once: the next PNG must not wait for the old process to be reaped.
    this.children.delete(child);
    if (!this.closed) void this.spawn();
  }

  private spawn(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const script = this.script ?? childScript();
    // No address-space cap (prlimit): Chromium reserves terabytes of address space it never uses.
    // Memory is watched instead (watchMemory).
    const proc = spawn(process.execPath, [script], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, MALLOC_ARENA_MAX: '2', RASTER_CHROMIUM_PATH: this.options.chromiumPath, RASTER_WARM: this.options.warm ? '1' : '0' },
    });
    const child: Child = { process: proc, pid: proc.pid ?? 0, ready: false, task: null, startedAt: 0 };
    if (this.options.nice && proc.pid) {
      try {
        setPriority(proc.pid, this.options.nice);
      } catch (error) {
        this.logger.warn(`could not lower raster process ${proc.pid}'s priority: ${(error as Error).message}`);
      }
    }
    this.children.add(child);
    return new Promise<void>((started) => {
      const startTimer = setTimeout(() => {
        this.logger.warn(`raster process ${child.pid} did not start within ${START_TIMEOUT_MS} ms`);
        started();
      }, START_TIMEOUT_MS);
      proc.on('message', (message: RasterChildReply | RasterChildStatus) => {
        if ('browserPid' in message) {
          child.browserPid = message.browserPid;
          // Launched for the drawing in hand: what it adds is counted from here.
          if (child.task) child.baseline = treeBytes(child);
          return;
        }
        if ('ready' in message) {
          child.ready = true;
          this.failedStarts = 0;
          clearTimeout(startTimer);
          started();
          return this.dispatch();
        }
        if (child.skipping === message.id) {
          child.skipping = undefined;
          return this.dispatch();
        }
        const task = child.task;
        if (!task || task.id !== message.id) return;
        child.task = null;
        this.finish(task, message.ok ? { ok: true, data: Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength), width: message.width, height: message.height } : rasterError(message.message));
        this.dispatch();
      });
      proc.on('error', (error) => this.logger.error(`raster process could not start: ${error.message}`));
      proc.once('exit', (code, signal) => {
        clearTimeout(startTimer);
        started();
        if (child.killed) return;
        killBrowser(child);
        // Not ours: its browser crashed, or could not start.
        this.children.delete(child);
        const task = child.task;
        child.task = null;
        this.kills.crashed++;
        metrics.engineRestarts.inc({ engine: 'raster', reason: 'crashed' });
        this.logger.warn(`raster process ${child.pid} exited (${signal ?? code})${task ? ' while drawing' : ''}`);
        if (task && !child.browserPid) {
          // Its browser never started: nothing about the picture, so the job is retried elsewhere.
          clearTimeout(task.timer);
          task.fail(new Error(`raster process ${child.pid} exited (${signal ?? code}) before its browser started`));
        } else if (task) {
          this.finish(task, { ok: false, error: { code: 'output_too_large', message: 'Drawing the picture crashed the rasterizer (usually: it needed more memory than allowed). Use a smaller scale or the SVG format.' } });
        }
        if (this.closed) return;
        if (!child.ready) this.failedStarts++;
        // A process that cannot even start is retried with backoff, not in a tight loop.
        const delay = this.failedStarts ? Math.min(10_000, 100 * 2 ** this.failedStarts) : 0;
        setTimeout(() => void this.spawn(), delay).unref();
      });
    });
  }

  /** While any process draws, its resident memory is read every 50 ms; over the cap, it is killed. */
  private watchMemory(): void {
    if (this.memoryTimer) return;
    this.memoryTimer = setInterval(() => {
      let busy = 0;
      for (const child of this.children) {
        if (!child.task) continue;
        busy++;
        if (child.baseline !== undefined && treeBytes(child) - child.baseline > this.options.memoryMb * 1024 * 1024) this.kill(child, 'memory');
      }
      if (!busy) {
        clearInterval(this.memoryTimer);
        this.memoryTimer = undefined;
      }
    }, MEMORY_POLL_MS);
    this.memoryTimer.unref();
  }
}

function residentBytes(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE;
  } catch {
    return 0;
  }
}

/** Process ids of `pid` and its descendants, from /proc/<pid>/task/<tid>/children. */
function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${tree[i]}/task`)) {
        for (const child of readFileSync(`/proc/${tree[i]}/task/${task}/children`, 'utf8').split(' ')) if (child.trim()) tree.push(Number(child));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return tree;
}

/** Resident bytes of a raster process and every process of its browser. */
function treeBytes(child: Child): number {
  const pids = new Set([child.pid, ...(child.browserPid ? processTree(child.browserPid) : [])]);
  let bytes = 0;
  for (const pid of pids) bytes += residentBytes(pid);
  return bytes;
}

/** Its browser's whole process group (Puppeteer starts Chromium as a group leader), and the browser itself. */
function killBrowser(child: Child): void {
  if (!child.browserPid) return;
  for (const target of [-child.browserPid, child.browserPid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function timedOut(): RasterResult {
  return { ok: false, error: { code: 'render_timeout', message: "Drawing the picture did not finish within the render's time limit. Use a smaller scale, fewer filters, or the SVG format." } };
}

/** sharp refused the drawing: deterministic, so a value (never retried), not a throw. */
function rasterError(message: string): RasterResult {
  if (/pixel limit|too large|memory/i.test(message)) return { ok: false, error: { code: 'output_too_large', message: `The picture is too large to draw: ${message}` } };
  return { ok: false, error: { code: 'parse_failed', message: `The drawing could not be rasterized: ${message}` } };
}
