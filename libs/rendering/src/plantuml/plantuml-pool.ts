import { availableParallelism } from 'node:os';
import { Logger } from '@nestjs/common';
import { metrics } from '@flowsmith/observability';
import { RenderTimeoutError } from '../browser/browser-pool';
import { PlantumlOutOfMemoryError, PlantumlOutput, PlantumlOutputKind, PlantumlProcess, PlantumlProcessOptions } from './plantuml-process';

/** Enough to load the classes (a sequence diagram, and a class diagram laid out by dot or Smetana) before a JVM takes real diagrams. */
export const WARM_UP = ['@startuml\nAlice -> Bob: warm up\n@enduml\n', '@startuml\nclass Warm\nclass Up\nWarm --> Up\n@enduml\n'];
const WARM_UP_TIMEOUT_MS = 60_000;
/**
 * A new JVM spends a second or two booting and loading classes on its first diagrams. Those get
 * this much longer, so a restart never times out the innocent renders that follow it.
 */
const COLD_START_GRACE_MS = 5000;

/**
 * Diagrams the JVM renders at once: four threads a core, at most 16. A thread spends much of a
 * class, component, state or use-case diagram waiting on Graphviz's dot (a process per diagram),
 * so one thread a core leaves the cores idle; measured in bench/render (bench/RESULTS.md, issue 13).
 */
export function defaultPlantumlThreads(): number {
  return Math.max(2, Math.min(availableParallelism() * 4, 16));
}

export type PlantumlPoolOptions = Omit<PlantumlProcessOptions, 'threads'> & { threads?: number };

/** Whose diagram it is: the caller's deadline (ms since the epoch), and whether it is best-effort work (libs/contracts/src/fairness.ts). */
export interface PlantumlLane {
  deadline?: number;
  bestEffort?: boolean;
}

interface Waiting {
  source: string;
  output: PlantumlOutputKind;
  timeoutMs: number;
  deadline?: number;
  bestEffort: boolean;
  resolve: (output: PlantumlOutput) => void;
  reject: (error: Error) => void;
}

/**
 * One multi-threaded PlantUML JVM (PlantumlProcess) and the diagrams waiting for one of its
 * threads. At most `threads` diagrams are in the JVM at once, so a diagram's deadline runs from the
 * moment a thread can take it, and a JVM that dies takes only those down (they fail with a plain
 * error, so their jobs are retried); the ones waiting here go to its replacement.
 *
 * Paying diagrams go first; best-effort ones hold at most a quarter of the threads, so free and
 * anonymous traffic cannot take the JVM's CPU from paying keys. A diagram whose caller's deadline
 * passes is answered RenderTimeoutError then (and never sent if it passes while it waits here).
 *
 * A thread cannot be stopped safely, so a diagram that overruns the engine's own limit is answered
 * RenderTimeoutError at once, and its JVM, which keeps the stuck thread, is replaced: a new one is
 * started and warmed while the old one keeps serving, then takes the new diagrams, and the old one
 * is killed once the diagrams of other callers in it have finished. The same after a diagram runs
 * the heap out (other threads may have lost memory to it).
 */
export class PlantumlPool {
  private readonly logger = new Logger(PlantumlPool.name);
  readonly threads: number;
  /** Best-effort diagrams in the JVM at once. */
  readonly bestEffortThreads: number;
  private bestEffortSent = 0;
  private readonly options: PlantumlProcessOptions;
  /** The JVM that takes new diagrams. */
  private current: PlantumlProcess | null = null;
  /** A replacement being started and warmed. */
  private next: PlantumlProcess | null = null;
  /** Replaced JVMs finishing the diagrams they hold. */
  private readonly retiring = new Set<PlantumlProcess>();
  /** Requests sent to each JVM whose callers still wait (a timed-out one no longer counts). */
  private readonly live = new Map<PlantumlProcess, number>();
  private readonly waiting: Waiting[] = [];
  private launches = 0;
  private warm = false;
  private closed = false;

  constructor(options: PlantumlPoolOptions) {
    this.threads = Math.max(1, Math.floor(options.threads ?? defaultPlantumlThreads()));
    this.bestEffortThreads = Math.max(1, Math.floor(this.threads / 4));
    this.options = { ...options, threads: this.threads };
  }

  /** JVMs started after the first: after a timeout, a full heap, a crash or an outside kill. */
  get restarts(): number {
    return Math.max(0, this.launches - 1);
  }

  /** The JVM that takes new diagrams, for health checks and fault tests. */
  get process(): PlantumlProcess | null {
    return this.current;
  }

  /** The live JVMs' process ids (more than one while a replacement warms or an old one drains). */
  get pids(): number[] {
    return [this.current, this.next, ...this.retiring].map((process) => process?.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Starts the JVM; with `warm`, it renders warm-up diagrams before it takes real ones (not awaited). */
  async start(warm: boolean): Promise<void> {
    this.closed = false;
    this.warm = warm;
    if (this.current || this.next) return;
    const process = this.launch();
    this.current = process;
    await process.start();
    if (warm) this.warmUp(process).catch(() => undefined);
  }

  /** `timeoutMs`: the engine's own limit, from the moment a thread takes the diagram. */
  render(source: string, timeoutMs: number, lane: PlantumlLane = {}, output: PlantumlOutputKind = 'svg'): Promise<PlantumlOutput> {
    if (this.closed) return Promise.reject(new Error('The PlantUML process is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ source, output, timeoutMs, deadline: lane.deadline, bestEffort: lane.bestEffort ?? false, resolve, reject });
      if (!this.current && !this.next) this.replace(null, 'start');
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = new Error('The PlantUML process was closed');
    for (const request of this.waiting.splice(0)) request.reject(closing);
    const all = [this.current, this.next, ...this.retiring].filter((process): process is PlantumlProcess => process !== null);
    this.current = null;
    this.next = null;
    this.retiring.clear();
    await Promise.all(all.map((process) => process.kill(closing)));
  }

  private launch(): PlantumlProcess {
    const process = new PlantumlProcess(this.options);
    this.launches++;
    this.live.set(process, 0);
    process.onExit = (how) => this.onExit(process, how);
    return process;
  }

  /** Sends waiting diagrams while the current JVM has a free thread (a stuck thread is not free). */
  private pump(): void {
    const process = this.current;
    if (!process || !process.alive) return;
    while (!this.closed && process.pending < this.threads) {
      const request = this.nextWaiting();
      if (!request) return;
      this.send(process, request);
    }
  }

  /** The first paying diagram, else the first best-effort one while they hold fewer than their share of threads; expired ones are answered on the way. */
  private nextWaiting(): Waiting | undefined {
    const now = Date.now();
    for (let i = 0; i < this.waiting.length; ) {
      const request = this.waiting[i];
      if (request.deadline !== undefined && request.deadline <= now) {
        this.waiting.splice(i, 1);
        request.reject(new RenderTimeoutError(request.timeoutMs));
      } else i++;
    }
    const paying = this.waiting.findIndex((request) => !request.bestEffort);
    const index = paying >= 0 ? paying : this.bestEffortSent < this.bestEffortThreads ? 0 : -1;
    return index >= 0 ? this.waiting.splice(index, 1)[0] : undefined;
  }

  private send(process: PlantumlProcess, request: Waiting): void {
    let settled = false;
    if (request.bestEffort) this.bestEffortSent++;
    this.live.set(process, (this.live.get(process) ?? 0) + 1);
    const limitMs = request.timeoutMs + (process.cold ? COLD_START_GRACE_MS : 0);
    const callerMs = request.deadline === undefined ? Infinity : request.deadline - Date.now();
    const settle = () => {
      settled = true;
      clearTimeout(callerTimer);
      this.live.set(process, (this.live.get(process) ?? 1) - 1);
    };
    // The caller's deadline: answered then, but the JVM is left alone (its thread is still counted busy).
    const callerTimer =
      callerMs < limitMs
        ? setTimeout(() => {
            if (settled) return;
            settle();
            request.reject(new RenderTimeoutError(Math.max(1, Math.round(callerMs))));
            this.afterAnswer(process);
          }, Math.max(1, callerMs))
        : undefined;
    // The engine's own limit: a thread still on it then is stuck, and its JVM is replaced.
    const stuckTimer = setTimeout(() => {
      this.logger.warn(`A diagram overran ${request.timeoutMs} ms; replacing the PlantUML JVM`);
      metrics.engineRestarts.inc({ engine: 'plantuml', reason: 'timeout' });
      this.replace(process, 'timeout');
      if (settled) return;
      settle();
      request.reject(new RenderTimeoutError(request.timeoutMs));
      this.afterAnswer(process);
    }, limitMs);
    const answered = () => {
      clearTimeout(stuckTimer);
      if (request.bestEffort) this.bestEffortSent--;
    };
    process.render(request.source, request.output).then(
      (output) => {
        answered();
        if (!settled) {
          settle();
          request.resolve(output);
        }
        this.afterAnswer(process);
      },
      (error: Error) => {
        answered();
        if (!settled) {
          settle();
          if (error instanceof PlantumlOutOfMemoryError) {
            // Only the first diagram to run out of heap in a JVM is blamed; others that ran out beside it are retried.
            if (process === this.current) {
              metrics.engineRestarts.inc({ engine: 'plantuml', reason: 'memory' });
              this.replace(process, 'memory');
              request.reject(error);
            } else request.reject(new Error('The PlantUML JVM ran out of memory under another diagram'));
          } else request.reject(error);
        }
        this.afterAnswer(process);
      },
    );
  }

  /** A thread came free: send the next diagram, or kill a replaced JVM that holds nobody's diagram any more. */
  private afterAnswer(process: PlantumlProcess): void {
    if (this.retiring.has(process) && (this.live.get(process) ?? 0) === 0) {
      this.retiring.delete(process);
      this.live.delete(process);
      void process.kill();
    }
    this.pump();
  }

  /**
   * Starts a new JVM in place of `old` (null: there is none), warms it while `old` keeps serving,
   * then hands it the new diagrams and retires `old`. Does nothing while a replacement is under way.
   */
  private replace(old: PlantumlProcess | null, reason: string): void {
    if (this.closed || this.next || old !== this.current) return;
    const process = this.launch();
    this.next = process;
    const ready = process.start().then(() => (this.warm || old ? this.warmUp(process) : undefined));
    ready.then(
      () => this.promote(process, old),
      (error: Error) => {
        // It died or could not start; onExit decides what comes next.
        this.logger.warn(`A replacement PlantUML JVM (${reason}) failed to start: ${error.message}`);
      },
    );
  }

  private promote(process: PlantumlProcess, old: PlantumlProcess | null): void {
    if (this.next !== process || this.closed) return;
    this.next = null;
    if (!process.alive) return;
    if (old && old === this.current) {
      this.retiring.add(old);
      this.afterAnswer(old);
    }
    this.current = process;
    this.pump();
  }

  /** Renders the warm-up diagrams on a JVM before it takes real ones; a JVM that cannot is killed. */
  private async warmUp(process: PlantumlProcess): Promise<void> {
    const timer = setTimeout(() => void process.kill(new Error('The PlantUML JVM did not warm up in time')), WARM_UP_TIMEOUT_MS);
    try {
      const results = await Promise.allSettled(WARM_UP.map((source) => process.render(source)));
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed && !process.alive) throw failed.reason;
    } finally {
      clearTimeout(timer);
      // Its threads are free for real diagrams now.
      this.pump();
    }
  }

  private onExit(process: PlantumlProcess, how: string): void {
    this.live.delete(process);
    if (this.retiring.delete(process) || this.closed) return;
    if (process === this.next) this.next = null;
    if (process === this.current) {
      this.logger.warn(`The PlantUML JVM ${how}`);
      metrics.engineRestarts.inc({ engine: 'plantuml', reason: 'exited' });
      this.current = null;
    }
    // Nothing serves now: start one at once (warm), rather than under the next diagram.
    if (!this.current && !this.next) this.replace(null, 'exited');
  }
}
