import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, PinoLogger, type Params } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Field paths that must never reach a log line, whoever logs them. A safety net: the code logs
 * sources and prompts only through describeSource/describePrompt, and secrets never.
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
export function rootLogger(service = 'flowsmith', level = 'info', destination?: DestinationStream): Logger {
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
let contexts: PinoLogger | undefined;

/**
 * nestjs-pino's PinoLogger keeps the logger of the current context (a request, a job) in async
 * local storage; its root is ours (rootLogger). Its HTTP middleware is not used: Fastify's own
 * hooks log requests (see the gateway's request-logging), once each, with Fastify's request id.
 */
function contextLogger(): PinoLogger {
  params ??= { pinoHttp: { logger: rootLogger('flowsmith', process.env.LOG_LEVEL ?? 'info') } };
  return (contexts ??= new PinoLogger(params));
}

/** The logger of the current request or job (with its id bound), else the root logger. */
export function currentLogger(): Logger {
  return contextLogger().logger as Logger;
}

/**
 * Runs `work` with `bindings` (a job id, a queue) on every line logged inside it, through Nest's
 * Logger as well as currentLogger(): nestjs-pino's own request context, opened for a job.
 */
export function withLogContext<T>(bindings: Record<string, unknown>, work: () => T): T {
  return contextLogger().runInContext(work, { bindings, inherit: true });
}

/** How a source appears in logs: its SHA-256, length, format and type, never its text. */
export function describeSource(source: string, format?: string, type?: string): Record<string, unknown> {
  return {
    source_sha256: createHash('sha256').update(source).digest('hex'),
    source_length: source.length,
    ...(format ? { source_format: format } : {}),
    ...(type ? { diagram_type: type } : {}),
  };
}

/** How a prompt appears in logs: its SHA-256 and length, never its text. */
export function describePrompt(prompt: string): Record<string, unknown> {
  return { prompt_sha256: createHash('sha256').update(prompt).digest('hex'), prompt_length: prompt.length };
}

/**
 * Nest's logger for an app, writing through pino: every `new Logger(context)` of the code base
 * logs JSON lines with the current request's or job's id bound. Call once at boot.
 */
export function nestLogger(service: string, level: string): LoggerService {
  params ??= { pinoHttp: { logger: rootLogger(service, level) } };
  return new NestPinoLogger(contextLogger(), params);
}
