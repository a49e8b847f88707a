/**
 * Mermaid's detector ids (what mermaid.parse/render report as diagramType), named as the API
 * names diagram types: without mermaid's `-beta` and `Diagram`, lower case, one name per kind of
 * picture (flowchart-elk is a flowchart; the railroad grammars draw one railroad diagram).
 * scripts/check-mermaid-patches.mjs lists the detectors of an installed mermaid that are missing
 * here, so an upgrade that adds a type shows up before a client sees a raw detector id.
 */
export const MERMAID_DIAGRAM_TYPES: Readonly<Record<string, string>> = {
  'flowchart-v2': 'flowchart',
  flowchart: 'flowchart',
  'flowchart-elk': 'flowchart',
  graph: 'flowchart',
  sequence: 'sequence',
  class: 'class',
  classDiagram: 'class',
  stateDiagram: 'state',
  state: 'state',
  er: 'er',
  gantt: 'gantt',
  pie: 'pie',
  mindmap: 'mindmap',
  timeline: 'timeline',
  journey: 'journey',
  gitGraph: 'git',
  requirement: 'requirement',
  quadrantChart: 'quadrant',
  sankey: 'sankey',
  xychart: 'xychart',
  block: 'block',
  packet: 'packet',
  architecture: 'architecture',
  kanban: 'kanban',
  radar: 'radar',
  treemap: 'treemap',
  info: 'info',
  c4: 'c4',
  // Mermaid 12
  agentflow: 'agentflow',
  swimlane: 'swimlane',
  treeView: 'treeview',
  eventmodeling: 'eventmodeling',
  ishikawa: 'ishikawa',
  venn: 'venn',
  usecase: 'usecase',
  wardley: 'wardley',
  cynefin: 'cynefin',
  railroad: 'railroad',
  railroadEbnf: 'railroad',
  railroadAbnf: 'railroad',
  railroadPeg: 'railroad',
};

export function mermaidDiagramType(detectorId: string): string {
  if (Object.hasOwn(MERMAID_DIAGRAM_TYPES, detectorId)) return MERMAID_DIAGRAM_TYPES[detectorId];
  if (detectorId.startsWith('c4')) return 'c4';
  return detectorId.replace(/-beta$/, '').replace(/Diagram$/, '').toLowerCase();
}
