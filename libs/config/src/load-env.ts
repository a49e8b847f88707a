import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/** Thrown at boot when the environment is wrong. The message names every offending variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => {
    const messages = Object.values(error.constraints ?? {});
    const shown = error.value === undefined ? 'missing' : `got ${JSON.stringify(String(error.value))}`;
    return messages.map((message) => `${error.property}: ${message} (${shown})`);
  });
}

/**
 * Reads, converts and validates the environment into an instance of `schema`. Unknown variables are
 * ignored (the process environment holds many); missing required ones and bad values are fatal.
 */
export function loadEnv<T extends object>(schema: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') plain[name] = value;
  const instance = plainToInstance(schema, plain, { excludeExtraneousValues: true, exposeDefaultValues: true });
  const errors = validateSync(instance, { skipMissingProperties: false });
  if (errors.length > 0) throw new ConfigError(describe(errors));
  return instance;
}
