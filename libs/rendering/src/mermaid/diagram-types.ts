/** Mermaid's detector ids, named as API.md names diagram types. */
const NAMES: Record<string, string> = {
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
};

export function mermaidDiagramType(detectorId: string): string {
  if (NAMES[detectorId]) return NAMES[detectorId];
  if (detectorId.startsWith('c4')) return 'c4';
  return detectorId.replace(/Diagram$/, '').toLowerCase();
}
