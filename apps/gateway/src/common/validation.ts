import { applyDecorators, ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import {
  IsDefined, IsIn, IsOptional, IsString, IsUUID, MaxLength, MinLength, registerDecorator, ValidateIf, ValidationError,
} from 'class-validator';
import { ApiError } from './api-error';
import { MAX_BODY_DEPTH } from './json-body';
import { assertWellFormedText } from './well-formed-text';

export { MAX_BODY_DEPTH } from './json-body';

/** Fails a string over `max` bytes of UTF-8; reported as 413 source_too_large (docs/api.md). */
export function MaxUtf8Bytes(max: number) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'maxUtf8Bytes',
      target: target.constructor,
      propertyName,
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || Buffer.byteLength(value, 'utf8') <= max,
        defaultMessage: () => `${propertyName} is larger than ${Math.round(max / 1024)} KB of UTF-8.`,
      },
    });
}

const stringRules = (property: string, max: number) => [
  IsString({ message: `${property} must be a string.` }),
  MinLength(1, { message: `${property} must not be empty.` }),
  MaxLength(max, { message: `${property} must be at most ${max} characters.` }),
];

export const RequiredString = (property: string, max: number) =>
  applyDecorators(IsDefined({ message: `Missing required parameter: ${property}.` }), ...stringRules(property, max));

export const OptionalString = (property: string, max: number) => applyDecorators(IsOptional(), ...stringRules(property, max));

/** A nullable string: `null` clears it. */
export const NullableString = (property: string, max: number) =>
  applyDecorators(
    ValidateIf((_, value) => value !== null && value !== undefined),
    IsString({ message: `${property} must be a string or null.` }),
    MaxLength(max, { message: `${property} must be at most ${max} characters.` }),
  );

export const OneOf = (property: string, values: readonly string[]) =>
  IsIn(values as string[], { message: `${property} must be one of: ${values.join(', ')}.` });

/** An optional id that may be `null` (e.g. to move a diagram to the root). */
export const NullableUuid = (property: string) =>
  applyDecorators(
    ValidateIf((_, value) => value !== null && value !== undefined),
    IsUUID('all', { message: `${property} must be a UUID or null.` }),
  );

/** Which failure to report when a field breaks several rules: the most fundamental first. */
const PRECEDENCE = ['whitelistValidation', 'isDefined', 'isString', 'isInt', 'isArray', 'isBoolean', 'isIn', 'isUuid', 'isIso8601', 'maxUtf8Bytes'];

function firstLeaf(errors: ValidationError[], path = ''): { error: ValidationError; path: string } | undefined {
  for (const error of errors) {
    const here = path ? `${path}.${error.property}` : error.property;
    if (error.constraints && Object.keys(error.constraints).length) return { error, path: here };
    const nested = firstLeaf(error.children ?? [], here);
    if (nested) return nested;
  }
  return undefined;
}

/** Maps class-validator's failures onto the envelope: missing_parameter, invalid_parameter, source_too_large. */
export function validationExceptionFactory(errors: ValidationError[]): ApiError {
  const leaf = firstLeaf(errors);
  if (!leaf) return new ApiError('invalid_parameter', 'The request is invalid.');
  const constraints = leaf.error.constraints!;
  const name = PRECEDENCE.find((key) => key in constraints) ?? Object.keys(constraints)[0];
  const param = leaf.path;
  switch (name) {
    case 'whitelistValidation':
      return new ApiError('invalid_parameter', `Received unknown parameter: ${param}.`, { param });
    case 'isDefined':
      return new ApiError('missing_parameter', `Missing required parameter: ${param}.`, { param });
    case 'maxUtf8Bytes':
      return new ApiError('source_too_large', constraints[name], { param });
    default:
      return new ApiError('invalid_parameter', constraints[name], { param });
  }
}

/**
 * Refuses a body nested more than MAX_BODY_DEPTH levels, checked without recursion. The JSON
 * parser (json-body.ts) already refuses such text before it is parsed; this is for walks of a body
 * that may not have come through it (the idempotency interceptor checks before it hashes).
 */
export function assertBodyDepth(body: unknown): void {
  if (!body || typeof body !== 'object') return;
  const pending: Array<[object, number, string | undefined]> = [[body, 1, undefined]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth, field] = next;
    if (depth > MAX_BODY_DEPTH) {
      if (field === undefined || Array.isArray(body)) throw new ApiError('invalid_json', `The request body is nested more than ${MAX_BODY_DEPTH} levels deep.`);
      throw new ApiError('invalid_parameter', `${field} is nested more than ${MAX_BODY_DEPTH} levels deep.`, { param: field });
    }
    for (const [key, child] of Object.entries(value)) if (child && typeof child === 'object') pending.push([child, depth + 1, field ?? key]);
  }
}

/**
 * The global ValidationPipe (whitelist, forbid unknown, transform), plus rules it lacks: a body
 * must be a JSON object, not a deeply nested one, and no string of a body, query or path may hold
 * what Postgres cannot store (NUL, lone surrogates; well-formed-text.ts), so every route and every
 * field answers 400 naming the field instead of a database error. A missing body validates as
 * `{}` so required fields are reported.
 */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: true },
      exceptionFactory: validationExceptionFactory,
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (value === undefined || value === null) value = {};
      else if (typeof value !== 'object' || Array.isArray(value)) throw new ApiError('invalid_json', 'The request body must be a JSON object.');
      assertBodyDepth(value);
    }
    const transformed: unknown = await super.transform(value, metadata);
    // Checked once the fields are validated, so that an unknown or malformed field keeps its own message.
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') assertWellFormedText(transformed, metadata.data ?? '');
    return transformed;
  }
}
