import { availableParallelism } from 'node:os';
import { PlantumlOutput, PlantumlProcess, PlantumlProcessOptions } from './plantuml-process';

/** Enough to load the classes and warm the JIT before a JVM takes real diagrams. */
export const WARM_UP = '@startuml\nAlice -> Bob: warm up\n@enduml\n';
const WARM_UP_TIMEOUT_MS = 60_000;

/**
 * JVMs per worker: one per core, at most 4 (each holds ~250 MB at rest, up to its heap under load).
 * A pipe renders one diagram at a time, so with one JVM a second diagram waits for the first even
 * when a core is free; measured in bench/render (Issue 13: PlantUML in bench/RESULTS.md).
 */
export function defaultPlantumlJvms(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

interface Waiting {
  source: string;
  timeoutMs: number;
  resolve: (output: PlantumlOutput) => void;
  reject: (error: Error) => void;
}

/**
 * Several PlantumlProcess pipes behind one queue: a diagram goes to the idle JVM that has waited
 * longest (a warm one before one that has not rendered yet; each JVM's JIT only warms with the
 * diagrams it gets), else waits here until one is idle, so a slow diagram holds up only its own JVM. A JVM that died or was killed for a timeout under a diagram is replaced and
 * warmed before it takes the next one; the others carry on meanwhile.
 */
export class PlantumlPool {
  /** In the order they get diagrams: the least recently used first. */
  readonly processes: PlantumlProcess[];
  private readonly busy = new Set<PlantumlProcess>();
  private readonly waiting: Waiting[] = [];
  private closed = false;

  constructor(size: number, options: PlantumlProcessOptions) {
    this.processes = Array.from({ length: Math.max(1, Math.floor(size)) }, () => new PlantumlProcess(options));
  }

  get size(): number {
    return this.processes.length;
  }

  /** JVMs started after the first of each pipe: after a timeout, a crash or an outside kill. */
  get restarts(): number {
    return this.processes.reduce((sum, process) => sum + process.restarts, 0);
  }

  /** The live JVMs' process ids, for health checks and fault tests. */
  get pids(): number[] {
    return this.processes.map((process) => process.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Starts every JVM; with `warm`, each renders a warm-up diagram before it takes real ones (not awaited). */
  async start(warm: boolean): Promise<void> {
    this.closed = false;
    await Promise.all(this.processes.map((process) => process.start()));
    if (warm) for (const process of this.processes) this.warm(process);
  }

  render(source: string, timeoutMs: number): Promise<PlantumlOutput> {
    if (this.closed) return Promise.reject(new Error('The PlantUML process is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ source, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = new Error('The PlantUML process was closed');
    for (const request of this.waiting.splice(0)) request.reject(closing);
    await Promise.all(this.processes.map((process) => process.close()));
  }

  private pump(): void {
    while (this.waiting.length > 0 && !this.closed) {
      const idle = this.processes.filter((process) => !this.busy.has(process));
      const next = idle.find((process) => !process.cold) ?? idle[0];
      if (!next) return;
      // The one used least recently goes last in line, so every JVM gets diagrams and a warm JIT.
      this.processes.splice(this.processes.indexOf(next), 1);
      this.processes.push(next);
      const request = this.waiting.shift();
      if (!request) return;
      this.busy.add(next);
      next.render(request.source, request.timeoutMs).then(request.resolve, request.reject).finally(() => {
        this.busy.delete(next);
        // Its JVM is gone (a timeout, a crash): start the next one now, warm, rather than under the next diagram.
        if (next.pid === undefined && !this.closed) this.warm(next);
        else this.pump();
      });
    }
  }

  /** Sends a warm-up diagram through one JVM, holding it busy meanwhile. */
  private warm(process: PlantumlProcess): void {
    this.busy.add(process);
    process
      .render(WARM_UP, WARM_UP_TIMEOUT_MS)
      .catch(() => undefined)
      .finally(() => {
        this.busy.delete(process);
        this.pump();
      });
  }
}
