import type { PlanName } from './plans';
import { QueueName } from './queues';
import { LANGUAGES, type SourceFormat } from './languages';
import type { ImageFormat } from './rendering';

/**
 * How render work is shared between callers, so no one client can take rendering away from the
 * others (README.md, "Fair scheduling"):
 *
 * - Three queues. Keys on paid plans (and the generation worker) render small sources on `render`
 *   and heavy ones (more than one cost unit) on `render-heavy`; free keys, anonymous callers and
 *   the public routes on `render-best-effort`. Every render worker consumes `render` on all its
 *   pages and the other two on one page fewer, and their renders never take a kind's last warm
 *   page (libs/rendering/src/browser/browser-pool.ts). A paying key's small render therefore
 *   never waits behind best-effort traffic nor behind another owner's heavy renders. Within
 *   `render-best-effort`, heavy sources carry a BullMQ priority, so small ones go first.
 * - A cap on renders in flight per tenant (an owner, or an anonymous IP), so one tenant cannot
 *   fill a queue; a render over the cap waits a little for one of its own, then is 429 with Retry-After.
 * - Cost: a source's complexity counts against the caller's rate-limit bucket (one unit per
 *   started RENDER_COST_ELEMENTS elements, a PNG's weighted by its scale²), and anonymous sources
 *   have a complexity ceiling.
 * - A deadline on every job: a job whose caller has stopped waiting is skipped, not rendered.
 */
export type RenderTier = 'paying' | 'free' | 'anonymous';

/** Who a render is for, as the scheduler sees it. */
export interface RenderTenant {
  /** The in-flight cap's key: `owner:<id>` or `ip:<address>`. */
  id: string;
  tier: RenderTier;
  /** Renders this tenant may have in flight at once. */
  maxInFlight: number;
  /** The rate-limit bucket that complexity is charged to (already charged one unit by the guard). */
  bucket?: { key: string; limit: number; windowMs: number };
}

export function tierOfPlan(plan: PlanName): RenderTier {
  return plan === 'free' ? 'free' : 'paying';
}

export type RenderQueueName = QueueName.Render | QueueName.RenderHeavy | QueueName.RenderBestEffort;

/** The lane of a render: paying keys' small sources, their heavy ones (more than one cost unit), or best effort. */
export function renderQueueOf(tier: RenderTier, units = 1): RenderQueueName {
  if (tier !== 'paying') return QueueName.RenderBestEffort;
  return units > 1 ? QueueName.RenderHeavy : QueueName.Render;
}

/** One unit of rate-limit budget per this many elements started (a 10-node flowchart costs 1). */
export const RENDER_COST_ELEMENTS = 250;


/**
 * A cheap, engine-independent estimate of how much a source asks a renderer to draw: statements
 * (non-blank lines, plus every arrow after the first on a line, since `A --> B --> C` is two
 * edges) for text languages, start tags for XML ones, objects for JSON ones (the registry's
 * `syntax`, libs/contracts/src/languages.ts), and never less than one element per 80
 * bytes, so padding, long labels and compressed draw.io pages are not free. Linear, no parsing:
 * it runs on the gateway before anything is queued.
 */
export function estimateElements(source: string, format: SourceFormat): number {
  const floor = Math.ceil(Buffer.byteLength(source, 'utf8') / 80);
  let count = 0;
  const syntax = LANGUAGES[format].syntax;
  if (syntax === 'json') {
    // An object per element (a mark, a shape, a signal), wherever its properties are written.
    for (let i = source.indexOf('{'); i !== -1; i = source.indexOf('{', i + 1)) count++;
  } else if (syntax === 'xml') {
    for (let i = source.indexOf('<'); i !== -1; i = source.indexOf('<', i + 1)) {
      const next = source.charCodeAt(i + 1);
      // A start tag: a letter, or a namespace-less name; not </, <!, <?.
      if ((next >= 65 && next <= 90) || (next >= 97 && next <= 122) || next === 95) count++;
    }
  } else {
    let lineHasContent = false;
    let arrowsOnLine = 0;
    for (let i = 0; i < source.length; i++) {
      const c = source.charCodeAt(i);
      if (c === 10) {
        if (lineHasContent) count += 1 + Math.max(0, arrowsOnLine - 1);
        lineHasContent = false;
        arrowsOnLine = 0;
      } else if (c !== 32 && c !== 9 && c !== 13) {
        lineHasContent = true;
        // An arrow: '-->', '==>', '-.->', '->>', '..>' all end in '>' after '-', '=' or '.'.
        if (c === 62 && i > 0) {
          const before = source.charCodeAt(i - 1);
          if (before === 45 || before === 61 || before === 46) arrowsOnLine++;
        }
      }
    }
    if (lineHasContent) count += 1 + Math.max(0, arrowsOnLine - 1);
  }
  return Math.max(count, floor, 1);
}

/** Rate-limit units a render of this many elements costs. */
export function renderCostUnits(elements: number): number {
  return 1 + Math.floor(Math.max(0, elements - 1) / RENDER_COST_ELEMENTS);
}

/**
 * What a render is charged to its caller's bucket: its elements, weighted by the pixels a PNG
 * draws per element (scale², so a PNG at scale 4 of a 100-element diagram costs 7 units, a
 * 10-node flowchart still 1). Its lane is chosen by elements alone (renderCostUnits): pixels are
 * drawn by raster processes, not on a browser page.
 */
export function renderChargeUnits(elements: number, output: { format: ImageFormat; scale: number }): number {
  return renderCostUnits(output.format === 'svg' ? elements : elements * output.scale * output.scale);
}
