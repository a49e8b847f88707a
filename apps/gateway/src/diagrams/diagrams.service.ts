import { Injectable } from '@nestjs/common';
import { DEFAULT_THEME, OutputFormat, RenderInput, Scale, SourceFormat, ThemeId } from '@flowsmith/contracts';
import { DiagramChanges, DiagramsRepository, FoldersRepository } from '@flowsmith/database';
import { WebhookEvents } from '@flowsmith/webhooks';
import { notFound } from '../common/api-error';
import { ListQueryDto, listResponse, pageQuery } from '../common/pagination';
import type { KeyActor } from '../auth/actor';
import { RenderClient } from '../rendering/render-client.service';
import { DrawOptions, drawOptionsOf, sourceFormatOf } from '../rendering/render-options';
import { CreateDiagramDto, ListDiagramsQueryDto, UpdateDiagramDto } from './diagram.dto';
import { presentDiagram, presentRevision } from './diagram.presenter';
import { decodeRevisionCursor, encodeRevisionCursor, revisionsOfIfMatch, stale } from './revisions';

@Injectable()
export class DiagramsService {
  constructor(
    private readonly diagrams: DiagramsRepository,
    private readonly folders: FoldersRepository,
    private readonly renders: RenderClient,
    private readonly webhookEvents: WebhookEvents,
  ) {}

  /**
   * A source is rendered on write, as the image route's default SVG (so that render is cached),
   * and not only parsed: a source that parses but cannot be drawn (a PlantUML `version`, a Mermaid
   * node whose image cannot load) is 400 here rather than on every later image request. The
   * render names the diagram type.
   */
  private async diagramType(actor: KeyActor, source: string, format: SourceFormat): Promise<string> {
    const image = await this.renders.render({ source, sourceFormat: format, theme: DEFAULT_THEME, format: 'svg', scale: 1, watermark: false, ...drawOptionsOf(format, {}) }, actor.render, 'source');
    return image.diagramType;
  }

  async create(actor: KeyActor, body: CreateDiagramDto) {
    const folderId = body.folder_id ?? null;
    if (folderId) await this.visibleFolder(actor, folderId);
    const { format, detected } = sourceFormatOf(body.source, body.source_format);
    // The webhook event is recorded in the diagram's own transaction; its deliveries are queued once it commits.
    let deliveries: string[] = [];
    const diagramType = await this.diagramType(actor, body.source, format);
    const diagram = await this.diagrams.create({
      ownerId: actor.ownerId,
      organizationId: actor.organizationId,
      createdBy: actor.userId,
      folderId,
      name: body.name,
      source: body.source,
      sourceFormat: format,
      diagramType,
    }, { apiKeyId: actor.keyId, userId: actor.userId }, async (created, tx) => {
      deliveries = await this.webhookEvents.record(actor.ownerId, 'diagram.created', presentDiagram(created), tx);
    });
    await this.webhookEvents.enqueue(deliveries);
    return { ...presentDiagram(diagram), detected_format: detected };
  }

  async list(actor: KeyActor, query: ListDiagramsQueryDto) {
    const page = pageQuery('diagrams', query);
    if (query.folder_id) await this.visibleFolder(actor, query.folder_id);
    const rows = await this.diagrams.list(actor.ownerId, { folderId: query.folder_id, nameContains: query.q || undefined }, page);
    return listResponse('diagrams', rows, page.limit, presentDiagram);
  }

  async get(actor: KeyActor, id: string) {
    const diagram = await this.diagrams.findVisible(id, actor.ownerId);
    if (!diagram) throw notFound('Diagram');
    return presentDiagram(diagram);
  }

  /**
   * A change of name or source makes the next revision; a move does not. With `ifMatch` (the
   * If-Match header) the diagram must still be at the revision the caller read, else 412 and
   * nothing is written (diagrams.repository.ts says why exactly one of concurrent PATCHes wins).
   */
  async update(actor: KeyActor, id: string, body: UpdateDiagramDto, ifMatch?: string) {
    const expected = ifMatch === undefined ? undefined : revisionsOfIfMatch(ifMatch);
    const current = await this.diagrams.findVisible(id, actor.ownerId);
    if (!current) throw notFound('Diagram');
    if (expected && !expected.includes(current.revision)) throw stale(current.revision);
    if (body.folder_id) await this.visibleFolder(actor, body.folder_id);
    const changes: DiagramChanges = {};
    if (body.name !== undefined && body.name !== current.name) changes.name = body.name;
    if (body.folder_id !== undefined) changes.folderId = body.folder_id;
    const source = body.source ?? current.source;
    const sourceFormat = body.source_format ?? current.sourceFormat;
    if (source !== current.source || sourceFormat !== current.sourceFormat) {
      Object.assign(changes, { source, sourceFormat, diagramType: await this.diagramType(actor, source, sourceFormat) });
    }
    return this.write(actor, id, changes, expected);
  }

  /** Revisions, newest first (cursor: the number to continue below). */
  async revisions(actor: KeyActor, id: string, query: ListQueryDto) {
    if (!(await this.diagrams.findVisible(id, actor.ownerId))) throw notFound('Diagram');
    const limit = query.limit ?? 20;
    const before = query.cursor === undefined ? undefined : decodeRevisionCursor(query.cursor);
    const rows = await this.diagrams.listRevisions(id, { limit, before });
    const page = rows.slice(0, limit);
    const hasMore = rows.length > limit;
    return { object: 'list' as const, data: page.map(presentRevision), has_more: hasMore, next_cursor: hasMore ? encodeRevisionCursor(page[page.length - 1].number) : null };
  }

  async revision(actor: KeyActor, id: string, number: number) {
    return presentRevision(await this.visibleRevision(actor, id, number));
  }

  /** A new revision with an old one's name and source: history is only ever added to. */
  async restore(actor: KeyActor, id: string, number: number) {
    const old = await this.visibleRevision(actor, id, number);
    return this.write(actor, id, { name: old.name, source: old.source, sourceFormat: old.sourceFormat, diagramType: old.diagramType });
  }

  private async write(actor: KeyActor, id: string, changes: DiagramChanges, expected?: readonly number[]) {
    let deliveries: string[] = [];
    const outcome = await this.diagrams.update(id, actor.ownerId, changes, { apiKeyId: actor.keyId, userId: actor.userId }, expected, async (updated, tx) => {
      deliveries = await this.webhookEvents.record(actor.ownerId, 'diagram.updated', presentDiagram(updated), tx);
    });
    if (!outcome.ok && outcome.reason === 'stale') throw stale(outcome.revision!);
    if (!outcome.ok) throw notFound('Diagram');
    await this.webhookEvents.enqueue(deliveries);
    return presentDiagram(outcome.diagram);
  }

  private async visibleRevision(actor: KeyActor, id: string, number: number) {
    if (!(await this.diagrams.findVisible(id, actor.ownerId))) throw notFound('Diagram');
    const revision = await this.diagrams.findRevision(id, number);
    if (!revision) throw notFound('Revision', 'revision');
    return revision;
  }

  async delete(actor: KeyActor, id: string) {
    const deleted = { object: 'diagram' as const, id, deleted: true };
    let deliveries: string[] = [];
    const found = await this.diagrams.delete(id, actor.ownerId, async (_, tx) => {
      deliveries = await this.webhookEvents.record(actor.ownerId, 'diagram.deleted', deleted, tx);
    });
    if (!found) throw notFound('Diagram');
    await this.webhookEvents.enqueue(deliveries);
    return deleted;
  }

  /** The stored diagram (or one of its revisions) rendered; never spends quota (docs/api.md). */
  async image(actor: KeyActor, id: string, input: { theme: ThemeId; format: OutputFormat; scale: Scale; embedFonts: boolean; background?: string; width?: number; height?: number } & DrawOptions, revision?: number): Promise<RenderInput> {
    const diagram = revision === undefined ? await this.diagrams.findRenderable(id, actor.ownerId) : await this.visibleRevision(actor, id, revision);
    if (!diagram) throw notFound('Diagram');
    const { page, layout, look, embedFonts, ...rest } = input;
    return { source: diagram.source, sourceFormat: diagram.sourceFormat, ...rest, ...drawOptionsOf(diagram.sourceFormat, { page, layout, look }), embedFonts: rest.format === 'svg' && embedFonts, watermark: false };
  }

  private async visibleFolder(actor: KeyActor, folderId: string) {
    const folder = await this.folders.findVisible(folderId, actor.ownerId);
    if (!folder) throw notFound('Folder', 'folder_id');
    return folder;
  }
}
