export const SOURCE_FORMATS = ['mermaid', 'plantuml', 'drawio', 'bpmn', 'svg'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** API.md: a source is at most 100 KB of UTF-8. */
export const MAX_SOURCE_BYTES = 100 * 1024;
/** API.md: a request body is at most 1 MB. */
export const MAX_BODY_BYTES = 1024 * 1024;

const MERMAID_TYPES: Array<[RegExp, string]> = [
  [/^(flowchart|graph)\b/, 'flowchart'],
  [/^sequenceDiagram\b/, 'sequence'],
  [/^classDiagram(-v2)?\b/, 'class'],
  [/^stateDiagram(-v2)?\b/, 'state'],
  [/^erDiagram\b/, 'er'],
  [/^gantt\b/, 'gantt'],
  [/^mindmap\b/, 'mindmap'],
  [/^journey\b/, 'journey'],
  [/^pie\b/, 'pie'],
  [/^timeline\b/, 'timeline'],
  [/^gitGraph\b/, 'git'],
  [/^quadrantChart\b/, 'quadrant'],
  [/^requirementDiagram\b/, 'requirement'],
  [/^C4(Context|Container|Component|Dynamic|Deployment)\b/, 'c4'],
  [/^sankey(-beta)?\b/, 'sankey'],
  [/^xychart(-beta)?\b/, 'xychart'],
  [/^block(-beta)?\b/, 'block'],
  [/^packet(-beta)?\b/, 'packet'],
  [/^architecture(-beta)?\b/, 'architecture'],
  [/^kanban\b/, 'kanban'],
  [/^radar(-beta)?\b/, 'radar'],
  [/^treemap(-beta)?\b/, 'treemap'],
];

/**
 * A first guess at the diagram type from the source's header, without parsing. The render worker's
 * parser is the authority once it exists; this is what a stored diagram carries until then.
 */
export function detectDiagramType(source: string, format: SourceFormat): string | null {
  if (format !== 'mermaid') return null;
  const lines = source
    .replace(/^---\n[\s\S]*?\n---\n/, '') // YAML front matter
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('%%'));
  const header = lines[0];
  if (!header) return null;
  for (const [pattern, type] of MERMAID_TYPES) if (pattern.test(header)) return type;
  return null;
}
