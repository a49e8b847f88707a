import { Injectable } from '@nestjs/common';
import { OutputFormat, RenderInput, Scale, SourceFormat, ThemeId } from '@flowsmith/contracts';
import { DiagramChanges, DiagramsRepository, FoldersRepository } from '@flowsmith/database';
import { notFound } from '../common/api-error';
import { listResponse, pageQuery } from '../common/pagination';
import type { KeyActor } from '../auth/actor';
import { RenderClient } from '../rendering/render-client.service';
import { DrawOptions, drawOptionsOf } from '../rendering/render-options';
import { CreateDiagramDto, ListDiagramsQueryDto, UpdateDiagramDto } from './diagram.dto';
import { presentDiagram } from './diagram.presenter';

@Injectable()
export class DiagramsService {
  constructor(
    private readonly diagrams: DiagramsRepository,
    private readonly folders: FoldersRepository,
    private readonly renders: RenderClient,
  ) {}

  /**
   * A source is rendered on write, as the image route's default SVG (so that render is cached),
   * and not only parsed: a source that parses but cannot be drawn (a PlantUML `version`, a Mermaid
   * node whose image cannot load) is 400 here rather than on every later image request. The
   * render names the diagram type.
   */
  private async diagramType(actor: KeyActor, source: string, format: SourceFormat): Promise<string> {
    const image = await this.renders.render({ source, sourceFormat: format, theme: 'light', format: 'svg', scale: 1, watermark: false, ...drawOptionsOf(format, {}) }, actor.render, 'source');
    return image.diagramType;
  }

  async create(actor: KeyActor, body: CreateDiagramDto) {
    const folderId = body.folder_id ?? null;
    if (folderId) await this.visibleFolder(actor, folderId);
    const format = body.source_format ?? 'mermaid';
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
    });
    return presentDiagram(diagram);
  }

  async list(actor: KeyActor, query: ListDiagramsQueryDto) {
    const page = pageQuery('diagrams', query);
    if (query.folder_id) await this.visibleFolder(actor, query.folder_id);
    const rows = await this.diagrams.list(actor.ownerId, { folderId: query.folder_id }, page);
    return listResponse('diagrams', rows, page.limit, presentDiagram);
  }

  async get(actor: KeyActor, id: string) {
    const diagram = await this.diagrams.findVisible(id, actor.ownerId);
    if (!diagram) throw notFound('Diagram');
    return presentDiagram(diagram);
  }

  async update(actor: KeyActor, id: string, body: UpdateDiagramDto) {
    const current = await this.diagrams.findVisible(id, actor.ownerId);
    if (!current) throw notFound('Diagram');
    if (body.folder_id) await this.visibleFolder(actor, body.folder_id);
    const changes: DiagramChanges = {};
    if (body.name !== undefined) changes.name = body.name;
    if (body.folder_id !== undefined) changes.folderId = body.folder_id;
    if (body.source !== undefined || body.source_format !== undefined) {
      changes.source = body.source ?? current.source;
      changes.sourceFormat = body.source_format ?? current.sourceFormat;
      changes.diagramType = await this.diagramType(actor, changes.source, changes.sourceFormat as SourceFormat);
    }
    const updated = await this.diagrams.update(id, actor.ownerId, changes);
    if (!updated) throw notFound('Diagram');
    return presentDiagram(updated);
  }

  async delete(actor: KeyActor, id: string) {
    if (!(await this.diagrams.delete(id, actor.ownerId))) throw notFound('Diagram');
    return { object: 'diagram' as const, id, deleted: true };
  }

  /** The stored diagram rendered; never spends quota (docs/api.md). */
  async image(actor: KeyActor, id: string, input: { theme: ThemeId; format: OutputFormat; scale: Scale; embedFonts: boolean; background?: string } & DrawOptions): Promise<RenderInput> {
    const diagram = await this.diagrams.findRenderable(id, actor.ownerId);
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
