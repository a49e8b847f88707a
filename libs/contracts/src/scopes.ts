/** Every scope an API key may hold. A route names exactly one of them. */
export const SCOPES = [
  'diagrams:read',
  'diagrams:write',
  'folders:read',
  'folders:write',
  'generate',
  'render:write',
  'export:write',
  'share:write',
  'ai:write',
  'usage:read',
  'keys:write',
  'webhooks',
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}
