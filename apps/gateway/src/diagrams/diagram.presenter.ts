import type { Diagram, DiagramRevision } from '@flowsmith/database';
import { timestamp } from '../common/pagination';

export function presentDiagram(diagram: Diagram) {
  return {
    object: 'diagram' as const,
    id: diagram.id,
    name: diagram.name,
    source: diagram.source,
    source_format: diagram.sourceFormat,
    diagram_type: diagram.diagramType,
    revision: diagram.revision,
    folder_id: diagram.folderId,
    organization_id: diagram.organizationId,
    created_by: diagram.createdBy,
    created_at: timestamp(diagram.createdAt),
    updated_at: timestamp(diagram.updatedAt),
  };
}

export function presentRevision(revision: DiagramRevision) {
  return {
    object: 'diagram_revision' as const,
    diagram_id: revision.diagramId,
    number: revision.number,
    name: revision.name,
    source: revision.source,
    source_format: revision.sourceFormat,
    diagram_type: revision.diagramType,
    api_key_id: revision.apiKeyId,
    created_by: revision.createdBy,
    created_at: timestamp(revision.createdAt),
  };
}
