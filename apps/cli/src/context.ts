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
};

export interface CliContext {
  client: FlowsmithClient;
  /** The server, for absolute links (share URLs). */
  baseUrl: string;
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  json: boolean;
  progress: Progress;
  /** A line for people (stderr when --json, so stdout stays machine-readable). */
  say(line: string): void;
  /** The command's result: JSON with --json, else the given text. */
  print(value: unknown, text?: string): void;
}

export function createContext(args: string[], options: OptionSpec): CliContext {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const values = parsed.values as CliContext['values'];
  const json = values.json === true;
  const baseUrl = (values.url as string | undefined) ?? process.env.FLOWSMITH_URL ?? 'http://127.0.0.1:3000';
  const client = new FlowsmithClient({ apiKey: (values.key as string | undefined) ?? process.env.FLOWSMITH_API_KEY, baseUrl, userAgent: 'flowsmith-cli' });
  return {
    client,
    baseUrl,
    values,
    positionals: parsed.positionals,
    json,
    progress: new Progress(process.stderr, !json && process.stderr.isTTY === true && !process.env.CI),
    say: (line) => (json ? process.stderr : process.stdout).write(`${line}\n`),
    print: (value, text) => process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text ?? JSON.stringify(value, null, 2)}\n`),
  };
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
