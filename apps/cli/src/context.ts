import { relative } from 'node:path';
import { parseArgs, ParseArgsConfig } from 'node:util';
import { FlowsmithClient } from '@flowsmith/client';
import { Progress } from './progress';

export class CliUsageError extends Error {}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const COMMON_OPTIONS: OptionSpec = {
  key: { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
};

export interface CliContext {
  client: FlowsmithClient;
  /** The server, for absolute links (share URLs). */
  baseUrl: string;
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  json: boolean;
  /** No key: the server answers as the anonymous actor (watermarks, per-IP limits). */
  anonymous: boolean;
  quiet: boolean;
  progress: Progress;
  /** A line for people (stderr when --json, so stdout stays machine-readable); none with --quiet. */
  say(line: string): void;
  /** A problem worth knowing even with --quiet, on stderr. */
  warn(line: string): void;
  /** The command's result: JSON with --json, else the given text. */
  print(value: unknown, text?: string): void;
}

export function createContext(command: string, args: string[], options: OptionSpec): CliContext {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message);
    const problem = unknown ? `${command} has no option ${unknown[1]}.` : (error as Error).message;
    throw new CliUsageError(`${problem} "flowsmith ${command} --help" lists its options.`);
  }
  const values = parsed.values as CliContext['values'];
  const json = values.json === true;
  const quiet = values.quiet === true;
  const baseUrl = ((values.url as string | undefined) || process.env.FLOWSMITH_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/i.test(baseUrl)) throw new CliUsageError(`The server's URL must start with http:// or https://, not "${baseUrl}" (--url or FLOWSMITH_URL).`);
  // An empty FLOWSMITH_API_KEY= is no key, not an empty one.
  const apiKey = (values.key as string | undefined) || process.env.FLOWSMITH_API_KEY || undefined;
  const client = new FlowsmithClient({ apiKey, baseUrl, userAgent: 'flowsmith-cli' });
  const progress = new Progress(process.stderr, !json && !quiet && process.stderr.isTTY === true && !process.env.CI);
  return {
    client,
    baseUrl,
    values,
    positionals: parsed.positionals,
    json,
    anonymous: !apiKey,
    quiet,
    progress,
    say: (line) => {
      if (!quiet) progress.log(line, json ? process.stderr : process.stdout);
    },
    warn: (line) => progress.log(line, process.stderr),
    print: (value, text) => process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text ?? JSON.stringify(value, null, 2)}\n`),
  };
}

/** The warning of `render` and `embed` without a key: what the output will be, and why. */
export function warnIfAnonymous(context: CliContext): void {
  if (!context.anonymous || context.quiet) return;
  context.warn(
    'flowsmith: warning: no API key (FLOWSMITH_API_KEY or --key), so the server serves you anonymously: images are watermarked, ' +
      'and the anonymous limits apply (by default 20 requests a minute per IP, and one PNG, JPEG, WebP, PDF or text export a day). --quiet hides this.',
  );
}

/** A path for people: relative to the working folder. */
export function shown(path: string): string {
  return relative(process.cwd(), path) || '.';
}

export function stringOption(context: CliContext, name: string): string | undefined {
  const value = context.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new CliUsageError(`--${name} must be one of: ${allowed.join(', ')}.`);
  return value as T;
}
