import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { metrics } from '@flowsmith/observability';
import { RenderTimeoutError } from '../browser/browser-pool';
import type { ThemePalette } from '../themes';

/** The six languages of the blockdiag family, each a module of Debian's python3-blockdiag, -seqdiag, -actdiag and -nwdiag. */
export const BLOCKDIAG_LANGUAGES = ['blockdiag', 'seqdiag', 'actdiag', 'nwdiag', 'packetdiag', 'rackdiag'] as const;
export type BlockdiagLanguage = (typeof BLOCKDIAG_LANGUAGES)[number];

export interface BlockdiagProcessOptions {
  /** Debian's interpreter, which has the python3-blockdiag packages (a pyenv or venv `python3` on the PATH has not). */
  pythonPath?: string;
  /** blockdiag-server.py; by default the one beside this file (dist/ or the source tree). */
  serverPath?: string;
  /** Python processes, each drawing one diagram at a time; 1 by default. */
  processes?: number;
  /** A diagram whose SVG is larger than this is refused as too large; 2 MB by default. */
  maxOutputBytes?: number;
  /** Each process's address space (RLIMIT_AS), in MB; 1024 by default. */
  memoryMb?: number;
  /** Start the processes in start() (~0.3 s of CPU and ~45 MB each); otherwise with the first diagram. */
  warm?: boolean;
}

export interface BlockdiagRequest {
  language: BlockdiagLanguage;
  source: string;
  palette: ThemePalette;
  /** `parse`: parse and lay out, draw nothing. */
  mode: 'render' | 'parse';
}

/** What the server made of a diagram: its SVG, or why the source cannot be drawn. */
export type BlockdiagOutput = { ok: true; svg: string; diagramType: string } | { ok: false; kind: 'source' | 'too_large'; message: string; line?: number };

/** Whose diagram it is: the caller's deadline (ms since the epoch) and whether it is best-effort work (libs/contracts/src/fairness.ts). */
export interface BlockdiagLane {
  deadline?: number;
  bestEffort?: boolean;
}

export class BlockdiagOutputTooLargeError extends Error {
  constructor(bytes: number) {
    super(`The diagram's SVG is larger than ${Math.round(bytes / 1024 / 1024)} MB.`);
    this.name = 'BlockdiagOutputTooLargeError';
  }
}

const SERVER_FILE = 'blockdiag-server.py';
/** Importing the libraries and drawing one diagram of each language takes ~0.3 s; a process that is not ready by then is stuck. */
const READY_TIMEOUT_MS = 30_000;
const STDERR_KEPT_BYTES = 4096;

/** blockdiag-server.py beside this file (in dist/ when the build copied it there), else in the source tree. */
export function defaultBlockdiagServer(): string {
  const candidates = [join(__dirname, SERVER_FILE), resolve('libs/rendering/src/blockdiag', SERVER_FILE)];
  return candidates.find((path) => existsSync(path)) ?? candidates[0];
}

interface Waiting {
  request: BlockdiagRequest;
  timeoutMs: number;
  deadline?: number;
  bestEffort: boolean;
  resolve: (output: BlockdiagOutput) => void;
  reject: (error: Error) => void;
}

type ServerAnswer = { id?: number; ready?: boolean; ok?: boolean; svg?: string; diagramType?: string; kind?: string; message?: string; line?: number | null };

/**
 * One Python process running blockdiag-server.py: JSON lines in and out, one diagram at a time.
 * It is `ready` once the server has imported the libraries and drawn its warm-up diagrams.
 */
class BlockdiagWorker {
  private readonly logger = new Logger('BlockdiagProcess');
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer: Buffer[] = [];
  private buffered = 0;
  private stderr = '';
  private nextId = 1;
  private current: { id: number; resolve: (answer: ServerAnswer) => void; reject: (error: Error) => void } | null = null;
  private exited = false;
  readonly ready: Promise<void>;
  /** Called once when the process is gone, whoever ended it. */
  onExit: (how: string, wasBusy: boolean) => void = () => undefined;

  constructor(pythonPath: string, serverPath: string, private readonly maxLineBytes: number, maxOutputBytes: number, memoryMb: number) {
    this.child = spawn(pythonPath, ['-I', '-B', serverPath, '--max-bytes', String(maxOutputBytes), '--memory-mb', String(memoryMb)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // The process sees nothing of the worker's environment (database URLs, keys).
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1' },
    });
    this.child.stdin.on('error', () => undefined); // EPIPE when it dies; 'close' reports it
    this.child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < STDERR_KEPT_BYTES) this.stderr = (this.stderr + chunk.toString('utf8')).slice(0, STDERR_KEPT_BYTES);
    });
    let startError: Error | undefined;
    this.ready = new Promise<void>((resolveReady, rejectReady) => {
      const timer = setTimeout(() => {
        rejectReady(new Error(`The blockdiag process was not ready within ${READY_TIMEOUT_MS} ms`));
        this.kill();
      }, READY_TIMEOUT_MS);
      this.current = {
        id: 0,
        resolve: (answer) => {
          clearTimeout(timer);
          if (answer.ready) resolveReady();
          else rejectReady(new Error(`The blockdiag process did not start: ${answer.message ?? 'no ready line'}`));
        },
        reject: (error) => {
          clearTimeout(timer);
          rejectReady(error);
        },
      };
    });
    this.ready.catch(() => undefined);
    this.child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.child.once('error', (error) => {
      startError = error;
    });
    // 'close' comes after 'exit' and after stdout and stderr have been read to their end.
    this.child.once('close', (code, signal) => {
      this.exited = true;
      const how = startError ? `could not start (${startError.message})` : `exited with ${signal ?? `code ${code}`}`;
      const busy = this.current !== null && this.current.id !== 0;
      const stderr = this.stderr.trim();
      this.fail(new Error(`The blockdiag process ${how}${stderr ? `: ${stderr.slice(-500)}` : ''}`));
      this.onExit(how, busy);
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  get busy(): boolean {
    return this.current !== null;
  }

  get pid(): number | undefined {
    return this.exited ? undefined : this.child.pid;
  }

  /** Sends one diagram; the process must be ready and idle. */
  send(request: BlockdiagRequest): Promise<ServerAnswer> {
    if (this.exited) return Promise.reject(new Error('The blockdiag process is not running'));
    if (this.current) return Promise.reject(new Error('The blockdiag process is busy'));
    const id = this.nextId++;
    return new Promise((resolveAnswer, rejectAnswer) => {
      this.current = { id, resolve: resolveAnswer, reject: rejectAnswer };
      this.child.stdin.write(`${JSON.stringify({ id, ...request })}\n`);
    });
  }

  /** Kills the process (SIGKILL); what it was drawing fails with `error`. */
  kill(error: Error = new Error('The blockdiag process was stopped')): Promise<void> {
    this.fail(error);
    if (this.exited) return Promise.resolve();
    const closed = new Promise<void>((resolveClosed) => this.child.once('close', () => resolveClosed()));
    this.child.kill('SIGKILL');
    return closed;
  }

  private fail(error: Error): void {
    const current = this.current;
    this.current = null;
    current?.reject(error);
  }

  private onStdout(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline >= 0; newline = chunk.indexOf(10, start)) {
      this.buffer.push(chunk.subarray(start, newline));
      const line = Buffer.concat(this.buffer).toString('utf8');
      this.buffer = [];
      this.buffered = 0;
      start = newline + 1;
      this.onLine(line);
    }
    if (start < chunk.length) {
      this.buffer.push(chunk.subarray(start));
      this.buffered += chunk.length - start;
      // The server refuses SVGs past the cap itself; a line this long is no answer of its.
      if (this.buffered > this.maxLineBytes) void this.kill(new BlockdiagOutputTooLargeError(this.maxLineBytes));
    }
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    let answer: ServerAnswer;
    try {
      answer = JSON.parse(line) as ServerAnswer;
    } catch {
      this.logger.warn(`The blockdiag process wrote a line that is not JSON: ${line.slice(0, 200)}`);
      return;
    }
    const current = this.current;
    if (!current || (current.id !== 0 && answer.id !== current.id)) return;
    this.current = null;
    current.resolve(answer);
  }
}

/**
 * The blockdiag family's Python processes (blockdiag-server.py) and the diagrams waiting for one.
 * Each process draws one diagram at a time (the libraries keep their state in classes); with the
 * default of one process, diagrams are drawn one after another. Paying diagrams go before
 * best-effort ones.
 *
 * A diagram gets `timeoutMs` from the moment a process takes it (cut short by the caller's
 * deadline); a process still on it then is killed, the caller gets RenderTimeoutError, and a new
 * process is started (~0.3 s) for the diagrams behind it. A process that dies under a diagram
 * (killed from outside, crashed) fails that diagram with a plain error, so its job is retried, and
 * is replaced the same way. Nothing a source asks for is fetched or read: the server refuses it.
 */
export class BlockdiagProcess {
  private readonly logger = new Logger(BlockdiagProcess.name);
  readonly processes: number;
  private readonly pythonPath: string;
  private readonly serverPath: string;
  private readonly maxOutputBytes: number;
  private readonly memoryMb: number;
  private readonly warm: boolean;
  /** Live processes; each is starting, idle or drawing. */
  private readonly workers = new Set<BlockdiagWorker>();
  private readonly readyWorkers = new Set<BlockdiagWorker>();
  private readonly waiting: Waiting[] = [];
  private launches = 0;
  private closed = false;
  /** Consecutive processes that died before they were ready: past a few, waiting diagrams fail rather than loop. */
  private failedStarts = 0;

  constructor(options: BlockdiagProcessOptions = {}) {
    this.processes = Math.max(1, Math.floor(options.processes ?? 1));
    this.pythonPath = options.pythonPath ?? '/usr/bin/python3';
    this.serverPath = options.serverPath ?? defaultBlockdiagServer();
    this.maxOutputBytes = options.maxOutputBytes ?? 2 * 1024 * 1024;
    this.memoryMb = options.memoryMb ?? 1024;
    this.warm = options.warm ?? false;
  }

  /** Processes started after the first ones: after a timeout, a crash or an outside kill. */
  get restarts(): number {
    return Math.max(0, this.launches - this.processes);
  }

  /** The live processes' ids, for health checks and fault tests. */
  get pids(): number[] {
    return [...this.workers].map((worker) => worker.pid).filter((pid): pid is number => pid !== undefined);
  }

  /**
   * Opens the pool (again, after close); when `warm`, starts the processes and waits until they
   * are ready. Idempotent: the six engines that share it each call it.
   */
  async start(): Promise<void> {
    this.closed = false;
    if (!this.warm) return;
    this.fill();
    await Promise.all([...this.workers].map((worker) => worker.ready.catch(() => undefined)));
    if (this.readyWorkers.size === 0) throw new Error(`No blockdiag process could start (${this.pythonPath} ${this.serverPath})`);
  }

  /** Draws one diagram; `timeoutMs` is the engine's own limit, from the moment a process takes it. */
  render(request: BlockdiagRequest, timeoutMs: number, lane: BlockdiagLane = {}): Promise<BlockdiagOutput> {
    if (this.closed) return Promise.reject(new Error('The blockdiag process is closed'));
    return new Promise((resolveOutput, rejectOutput) => {
      const waiting: Waiting = { request, timeoutMs, deadline: lane.deadline, bestEffort: lane.bestEffort ?? false, resolve: resolveOutput, reject: rejectOutput };
      this.waiting.push(waiting);
      // A caller that stops waiting before a process is free is answered then, and its diagram never drawn.
      if (lane.deadline !== undefined) {
        const waitedMs = Math.max(1, Math.round(lane.deadline - Date.now()));
        const timer = setTimeout(() => {
          const index = this.waiting.indexOf(waiting);
          if (index < 0) return;
          this.waiting.splice(index, 1);
          rejectOutput(new RenderTimeoutError(waitedMs));
        }, waitedMs);
        timer.unref();
        waiting.resolve = (output) => {
          clearTimeout(timer);
          resolveOutput(output);
        };
        waiting.reject = (error) => {
          clearTimeout(timer);
          rejectOutput(error);
        };
      }
      this.fill();
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = new Error('The blockdiag process was closed');
    for (const waiting of this.waiting.splice(0)) waiting.reject(closing);
    const workers = [...this.workers];
    this.workers.clear();
    this.readyWorkers.clear();
    await Promise.all(workers.map((worker) => worker.kill(closing)));
  }

  /** Starts processes until there are `processes` of them. */
  private fill(): void {
    while (!this.closed && this.workers.size < this.processes) this.launch();
  }

  private launch(): void {
    this.launches++;
    // Past the cap, a line is refused: the SVG as JSON (escaped quotes, \uXXXX) with room to spare.
    const worker = new BlockdiagWorker(this.pythonPath, this.serverPath, this.maxOutputBytes * 2 + 65_536, this.maxOutputBytes, this.memoryMb);
    this.workers.add(worker);
    worker.onExit = (how, busy) => this.onExit(worker, how, busy);
    worker.ready.then(
      () => {
        this.failedStarts = 0;
        if (!this.workers.has(worker) || !worker.alive) return;
        this.readyWorkers.add(worker);
        this.pump();
      },
      (error: Error) => {
        this.logger.warn(`A blockdiag process failed to start: ${error.message}`);
      },
    );
  }

  /** Gives waiting diagrams to idle processes. */
  private pump(): void {
    for (const worker of this.readyWorkers) {
      if (this.closed) return;
      if (worker.busy || !worker.alive) continue;
      const next = this.nextWaiting();
      if (!next) return;
      this.send(worker, next);
    }
  }

  /** The first paying diagram, else the first best-effort one; those whose caller has gone are answered on the way. */
  private nextWaiting(): Waiting | undefined {
    const now = Date.now();
    for (let i = 0; i < this.waiting.length; ) {
      const waiting = this.waiting[i];
      if (waiting.deadline !== undefined && waiting.deadline <= now) {
        this.waiting.splice(i, 1);
        waiting.reject(new RenderTimeoutError(waiting.timeoutMs));
      } else i++;
    }
    const paying = this.waiting.findIndex((waiting) => !waiting.bestEffort);
    const index = paying >= 0 ? paying : this.waiting.length ? 0 : -1;
    return index >= 0 ? this.waiting.splice(index, 1)[0] : undefined;
  }

  private send(worker: BlockdiagWorker, waiting: Waiting): void {
    const callerMs = waiting.deadline === undefined ? Infinity : waiting.deadline - Date.now();
    const limitMs = Math.max(1, Math.min(waiting.timeoutMs, callerMs));
    let settled = false;
    // One process draws one diagram: past the limit, the only way to stop it is to kill it.
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      this.logger.warn(`A ${waiting.request.language} diagram overran ${Math.round(limitMs)} ms; replacing its process`);
      metrics.engineRestarts.inc({ engine: 'blockdiag', reason: 'timeout' });
      this.retire(worker);
      void worker.kill(new RenderTimeoutError(Math.round(limitMs)));
      waiting.reject(new RenderTimeoutError(Math.round(limitMs)));
    }, limitMs);
    worker.send(waiting.request).then(
      (answer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const output = outputOf(answer);
        if (output instanceof Error) waiting.reject(output);
        else waiting.resolve(output);
        this.pump();
      },
      (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error instanceof BlockdiagOutputTooLargeError) {
          this.retire(worker);
          waiting.resolve({ ok: false, kind: 'too_large', message: error.message });
        } else waiting.reject(error);
      },
    );
  }

  /** Takes a process out of service and starts its replacement. */
  private retire(worker: BlockdiagWorker): void {
    this.workers.delete(worker);
    this.readyWorkers.delete(worker);
    this.fill();
  }

  private onExit(worker: BlockdiagWorker, how: string, busy: boolean): void {
    const expected = !this.workers.has(worker);
    const wasReady = this.readyWorkers.has(worker);
    this.workers.delete(worker);
    this.readyWorkers.delete(worker);
    if (this.closed || expected) return;
    this.logger.warn(`A blockdiag process ${how}${busy ? ' during a render' : ''}`);
    metrics.engineRestarts.inc({ engine: 'blockdiag', reason: 'exited' });
    if (!wasReady && ++this.failedStarts >= 3) {
      // It cannot start (no Python, no packages): fail what waits instead of starting it forever.
      this.failedStarts = 0;
      const error = new Error(`The blockdiag process ${how}; is python3-blockdiag installed for ${this.pythonPath}?`);
      for (const waiting of this.waiting.splice(0)) waiting.reject(error);
      return;
    }
    if (this.waiting.length || wasReady) this.fill();
  }
}

function outputOf(answer: ServerAnswer): BlockdiagOutput | Error {
  if (answer.ok === true && typeof answer.svg === 'string') return { ok: true, svg: answer.svg, diagramType: answer.diagramType ?? 'blockdiag' };
  if (answer.ok === false && (answer.kind === 'source' || answer.kind === 'too_large')) {
    return { ok: false, kind: answer.kind, message: answer.message ?? 'The diagram could not be drawn', line: answer.line ?? undefined };
  }
  return new Error(`The blockdiag process failed: ${answer.message ?? 'an answer without an SVG'}`);
}
