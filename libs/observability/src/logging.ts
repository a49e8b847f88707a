import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, PinoLogger, type Params } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Field paths that must never reach a log line, whoever logs them. A safety net: the code logs
 * sources only through describeSource, and prompts and secrets never.
 */
const REDACTED = [
  'authorization', '*.authorization', 'req.headers.authorization', 'req.headers.cookie',
  'secret', '*.secret', 'api_key', '*.api_key', 'password', '*.password',
  'source', '*.source', 'prompt', '*.prompt', 'hint', '*.hint',
];

let root: Logger | undefined;

/**
 * The process's root logger: JSON lines on stdout with the service name, ISO time and the level
 * as a word. Created once per process (a second call returns the first logger).
 */
export function rootLogger(service = 'flowsmith', level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  if (root) return root;
  root = pino(
    {
      level,
      base: { service, pid: process.pid, host: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED, censor: '[redacted]' },
    },
    destination,
  );
  return root;
}

let params: Params | undefined;

/** How a source appears in logs: its SHA-256, length, format and type, never its text. */
export function describeSource(source: string, format?: string, type?: string): Record<string, unknown> {
  return {
    source_sha256: createHash('sha256').update(source).digest('hex'),
    source_length: source.length,
    ...(format ? { source_format: format } : {}),
    ...(type ? { diagram_type: type } : {}),
  };
}

/**
 * Nest's logger for an app, writing through pino: every `new Logger(context)` of the code base
 * logs JSON lines with its context. Call once at boot.
 *
 * Ids travel on the lines themselves (request_id, job_id), passed explicitly, not through async
 * local storage: on Node 20 an AsyncLocalStorage in use puts a hook on every promise, and it cost
 * ~18 ms of a 60 ms render through the API and ~20% of the gateway's cached throughput
 * (measured with bench:render). nestjs-pino's PinoLogger is used here only as Nest's logger,
 * outside any context, so it never enables its storage.
 */
export function nestLogger(service: string, level: string): LoggerService {
  params ??= { pinoHttp: { logger: rootLogger(service, level) } };
  return new NestPinoLogger(new PinoLogger(params), params);
}
