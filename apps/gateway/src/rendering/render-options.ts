import { createHash } from 'node:crypto';
import { Scale, SCALES, SourceFormat } from '@flowsmith/contracts';
import type { Actor } from '../auth/actor';
import type { GatewayConfig } from '../common/gateway-config';

/** The largest scale the caller's plan allows at or below the one asked for (anonymous: 1). */
export function clampScale(requested: Scale, actor: Actor, config: GatewayConfig): { scale: Scale; clamped: boolean } {
  const max = actor.kind === 'anonymous' ? 1 : config.plans[actor.plan].max_png_scale;
  if (requested <= max) return { scale: requested, clamped: false };
  const scale = [...SCALES].reverse().find((s) => s <= max) ?? 1;
  return { scale, clamped: true };
}

/** `diagram-<type>-<sha6>.<ext>`: the same source always gets the same name. */
export function exportFilename(source: string, diagramType: string, ext: string, requested?: string): string {
  if (requested) return requested.toLowerCase().endsWith(`.${ext}`) ? requested : `${requested}.${ext}`;
  const sha6 = createHash('sha256').update(source).digest('hex').slice(0, 6);
  return `diagram-${diagramType.replace(/:/g, '-').replace(/[^a-z0-9-]/gi, '') || 'diagram'}-${sha6}.${ext}`;
}

/** The page option means something only to draw.io; elsewhere it would split the cache for nothing. */
export function pageOf(sourceFormat: SourceFormat, page: string | undefined): { page?: string } {
  return sourceFormat === 'drawio' && page !== undefined ? { page } : {};
}
