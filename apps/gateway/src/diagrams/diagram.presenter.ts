import type { Diagram } from '@flowsmith/database';
import { timestamp } from '../common/pagination';

export function presentDiagram(diagram: Diagram) {
  return {
    object: 'diagram' as const,
    id: diagram.id,
    name: diagram.name,
    source: diagram.source,
    source_format: diagram.sourceFormat,
    diagram_type: diagram.diagramType,
    folder_id: diagram.folderId,
    organization_id: diagram.organizationId,
    created_by: diagram.createdBy,
    created_at: timestamp(diagram.createdAt),
    updated_at: timestamp(diagram.updatedAt),
  };
}
