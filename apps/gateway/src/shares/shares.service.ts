import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DEFAULT_THEME, MermaidLayout, MermaidLook, OutputFormat, PlanName, RenderInput, RenderTenant, SourceFormat, ThemeId, tierOfPlan } from '@flowsmith/contracts';
import { AccountsRepository, DiagramsRepository, Share, SharesRepository } from '@flowsmith/database';
import { WebhookEvents } from '@flowsmith/webhooks';
import type { KeyActor } from '../auth/actor';
import { ApiError, notFound } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { ListQueryDto, listResponse, pageQuery, timestamp } from '../common/pagination';
import { RenderClient } from '../rendering/render-client.service';
import { drawOptionsOf, sourceFormatOf } from '../rendering/render-options';
import { CreateShareDto } from './share.dto';

const PLAN_CACHE_MS = 60_000;
const PLAN_CACHE_ENTRIES = 10_000;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 22 base62 characters: about 131 bits, so share links cannot be guessed. */
export const SHARE_ID_PATTERN = /^[0-9A-Za-z]{22}$/;

function newShareId(): string {
  let id = '';
  while (id.length < 22) for (const byte of randomBytes(32)) if (byte < 248 && id.length < 22) id += BASE62[byte % 62];
  return id;
}

export function presentShare(share: Share) {
  return {
    object: 'share' as const,
    id: share.id,
    url: `/api/v1/share/${share.id}.svg`,
    png_url: `/api/v1/share/${share.id}.png`,
    jpeg_url: `/api/v1/share/${share.id}.jpg`,
    webp_url: `/api/v1/share/${share.id}.webp`,
    theme: share.theme,
    layout: share.layout,
    look: share.look,
    diagram_id: share.diagramId,
    revision: share.revision,
    follow_latest: share.diagramId !== null && share.revision === null,
    created_at: timestamp(share.createdAt),
  };
}

@Injectable()
export class SharesService {
  constructor(
    private readonly shares: SharesRepository,
    private readonly diagrams: DiagramsRepository,
    private readonly accounts: AccountsRepository,
    private readonly renders: RenderClient,
    private readonly config: GatewayConfig,
    private readonly webhookEvents: WebhookEvents,
  ) {}

  async create(actor: KeyActor, body: CreateShareDto) {
    const hasDiagram = body.diagram_id !== undefined;
    const hasSource = body.source !== undefined;
    if (hasDiagram === hasSource) {
      throw new ApiError(hasDiagram ? 'invalid_parameter' : 'missing_parameter', 'Send either diagram_id or source, not both.', {
        param: hasDiagram ? 'source' : 'diagram_id',
      });
    }
    let sourceFormat: SourceFormat | null = null;
    let detected: SourceFormat | null = null;
    const diagram = hasDiagram ? await this.diagrams.findVisible(body.diagram_id!, actor.ownerId) : null;
    if (hasDiagram && !diagram) throw notFound('Diagram', 'diagram_id');
    if (!hasDiagram && body.follow_latest !== undefined) throw new ApiError('invalid_parameter', 'follow_latest applies to a share of a stored diagram (diagram_id), not of a source.', { param: 'follow_latest' });
    if (hasSource) {
      ({ format: sourceFormat, detected } = sourceFormatOf(body.source!, body.source_format));
      // Rendered once (and so cached), not only parsed: what is published renders.
      await this.renders.render({ source: body.source!, sourceFormat, theme: body.theme ?? DEFAULT_THEME, format: 'svg', scale: 1, watermark: false, embedFonts: true, ...drawOptionsOf(sourceFormat, body) }, actor.render, 'source');
    }
    const cap = this.config.plans[actor.plan].shares;
    let deliveries: string[] = [];
    const share = await this.shares.createWithinCap(
      {
        id: newShareId(),
        ownerId: actor.ownerId,
        organizationId: actor.organizationId,
        createdBy: actor.userId,
        diagramId: body.diagram_id ?? null,
        source: body.source ?? null,
        sourceFormat,
        theme: body.theme ?? DEFAULT_THEME,
        layout: body.layout ?? null,
        look: body.look ?? null,
        // A share shows the revision it was made from, unless it follows the newest (docs/api.md, "Revisions").
        revision: diagram && body.follow_latest !== true ? diagram.revision : null,
      },
      cap,
      async (created, tx) => {
        deliveries = await this.webhookEvents.record(actor.ownerId, 'share.created', presentShare(created), tx);
      },
    );
    await this.webhookEvents.enqueue(deliveries);
    if (!share) throw new ApiError('quota_exhausted', `The ${actor.plan} plan allows ${cap} active shares. Revoke one (DELETE /v1/share/{id}) or upgrade.`);
    return { ...presentShare(share), detected_format: detected };
  }

  async list(actor: KeyActor, query: ListQueryDto) {
    const page = pageQuery('shares', query);
    return listResponse('shares', await this.shares.list(actor.ownerId, page), page.limit, presentShare);
  }

  async revoke(actor: KeyActor, id: string) {
    if (!SHARE_ID_PATTERN.test(id) || !(await this.shares.revoke(id, actor.ownerId))) throw notFound('Share');
    return { object: 'share' as const, id, deleted: true };
  }

  /**
   * What a public share renders (the diagram as it is now, or the published source; never
   * watermarked), and as whom: the viewer's IP keeps its in-flight cap and bucket, but a paying
   * owner's share renders in the paying lanes (libs/contracts/src/fairness.ts), so the diagrams a
   * customer shows its users are not queued behind free traffic.
   */
  async renderTarget(id: string, format: OutputFormat, viewer: RenderTenant): Promise<{ input: RenderInput; tenant: RenderTenant }> {
    const share = SHARE_ID_PATTERN.test(id) ? await this.shares.findActive(id) : null;
    if (!share) throw notFound('Share');
    const [input, plan] = await Promise.all([this.renderInput(share, format), this.ownerPlan(share)]);
    return { input, tenant: plan && tierOfPlan(plan) === 'paying' ? { ...viewer, tier: 'paying' } : viewer };
  }

  /** Owners' plans, for a minute: a share read must not cost a query more than it did. */
  private readonly plans = new Map<string, { plan: PlanName | null; until: number }>();

  private async ownerPlan(share: Share): Promise<PlanName | null> {
    const key = `${share.ownerId}:${share.organizationId ?? ''}`;
    const known = this.plans.get(key);
    if (known && known.until > Date.now()) return known.plan;
    const plan = await this.accounts.planOfOwner(share.ownerId, share.organizationId).catch(() => null);
    if (this.plans.size >= PLAN_CACHE_ENTRIES) this.plans.clear();
    this.plans.set(key, { plan, until: Date.now() + PLAN_CACHE_MS });
    return plan;
  }

  private async renderInput(share: Share, format: OutputFormat): Promise<RenderInput> {
    let source = share.source;
    let sourceFormat = share.sourceFormat;
    if (share.diagramId) {
      const diagram = await this.diagrams.findVisible(share.diagramId, share.ownerId);
      if (!diagram) throw notFound('Share');
      const shown = share.revision === null ? diagram : await this.diagrams.findRevision(share.diagramId, share.revision);
      if (!shown) throw notFound('Share');
      source = shown.source;
      sourceFormat = shown.sourceFormat;
    }
    // A shared SVG travels: it carries the subset of its fonts (libs/rendering/src/svg/embed-fonts.ts).
    const options = drawOptionsOf(sourceFormat!, { layout: share.layout as MermaidLayout | null, look: share.look as MermaidLook | null });
    return { source: source!, sourceFormat: sourceFormat!, theme: share.theme as ThemeId, format, scale: 1, watermark: false, embedFonts: format === 'svg', ...options };
  }
}
