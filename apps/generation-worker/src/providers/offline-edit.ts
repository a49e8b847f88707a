/**
 * The offline generator's edits: a Mermaid flowchart read into nodes and edges, one instruction
 * applied ("add X after Y", "add X before Y", "rename X to Y", "remove X"), written back. What it
 * cannot read or does not understand it refuses with a sentence that says what it does understand.
 */

export const EDITS_UNDERSTOOD =
  'The offline generator (no ANTHROPIC_API_KEY) edits Mermaid flowcharts with one of: "add a step X after Y", "add a step X before Y", "rename X to Y", "remove X".';

export type EditOutcome = { ok: true; source: string } | { ok: false; reason: string };

interface FlowNode {
  id: string;
  open: string;
  close: string;
  label: string | null;
}

interface FlowEdge {
  from: string;
  to: string;
  arrow: string;
  label: string | null;
}

interface Flowchart {
  header: string;
  nodes: Map<string, FlowNode>;
  edges: FlowEdge[];
  /** Comments, styles and classes, kept as they are. */
  extra: string[];
}

/** Shapes by their opening bracket, longest first so `([` wins over `(`. */
const SHAPES: Array<[string, string]> = [
  ['([', '])'], ['[[', ']]'], ['[(', ')]'], ['((', '))'], ['{{', '}}'], ['[/', '/]'], ['[\\', '\\]'], ['[/', '\\]'], ['[\\', '/]'],
  ['>', ']'], ['[', ']'], ['(', ')'], ['{', '}'],
];
const LINK = /^\s*(<?(?:-->|---|-\.->|-\.-|==>|===|--o|--x))\s*(?:\|([^|]*)\|)?\s*/;
const ID = /^[\p{L}\p{N}_-]+/u;

function parseNode(token: string): FlowNode | null {
  const id = token.match(ID)?.[0];
  if (!id) return null;
  const rest = token.slice(id.length).trim();
  if (!rest) return { id, open: '', close: '', label: null };
  for (const [open, close] of SHAPES) {
    if (rest.startsWith(open) && rest.endsWith(close) && rest.length >= open.length + close.length) {
      const inner = rest.slice(open.length, rest.length - close.length).trim();
      return { id, open, close, label: inner.replace(/^"(.*)"$/s, '$1') };
    }
  }
  return null;
}

/** A statement split at its links, outside brackets and quotes: nodes and the links between them. */
function splitChain(line: string): { nodes: string[]; links: Array<{ arrow: string; label: string | null }> } | null {
  const normal = line.replace(/--\s+([^->|][^>]*?)\s+-->/g, '-->|$1|');
  const nodes: string[] = [];
  const links: Array<{ arrow: string; label: string | null }> = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < normal.length; i++) {
    const c = normal[i];
    if (c === '"') quoted = !quoted;
    if (quoted) continue;
    if ('[({'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (depth === 0 && (c === '-' || c === '=' || c === '<')) {
      const link = normal.slice(i).match(LINK);
      if (link && i > start) {
        nodes.push(normal.slice(start, i).trim());
        links.push({ arrow: link[1], label: link[2]?.trim() ?? null });
        i += link[0].length - 1;
        start = i + 1;
      }
    }
  }
  nodes.push(normal.slice(start).trim());
  return nodes.every(Boolean) ? { nodes, links } : null;
}

function parse(source: string): Flowchart | string {
  const lines = source.split('\n');
  const first = lines.findIndex((line) => line.trim() && !line.trim().startsWith('%%'));
  const header = lines[first]?.trim() ?? '';
  if (!/^(flowchart|graph)(\s+(TD|TB|LR|RL|BT))?$/.test(header)) return 'This diagram is not a Mermaid flowchart.';
  const chart: Flowchart = { header, nodes: new Map(), edges: [], extra: [] };
  const declare = (node: FlowNode) => {
    const known = chart.nodes.get(node.id);
    if (!known || (node.label !== null && known.label === null)) chart.nodes.set(node.id, node);
  };
  for (const raw of lines.slice(first + 1)) {
    const line = raw.trim().replace(/;$/, '');
    if (!line) continue;
    if (/^(%%|classDef\s|class\s|style\s)/.test(line)) {
      chart.extra.push(line);
      continue;
    }
    if (/^(subgraph|end|linkStyle|click|direction)\b/.test(line) || line.includes('&')) return `It cannot edit a flowchart with ${line.split(/\s/)[0]} statements.`;
    const chain = splitChain(line);
    const nodes = (chain?.nodes ?? []).map(parseNode).filter((node): node is FlowNode => node !== null);
    if (!chain || nodes.length !== chain.nodes.length) return `It cannot read the line "${line.slice(0, 60)}".`;
    nodes.forEach(declare);
    chain.links.forEach((link, i) => chart.edges.push({ from: nodes[i].id, to: nodes[i + 1].id, ...link }));
  }
  return chart;
}

const quote = (label: string) => `"${label.replace(/"/g, '#quot;')}"`;

function write(chart: Flowchart): string {
  const lines = [chart.header];
  for (const node of chart.nodes.values()) lines.push(`  ${node.id}${node.label === null ? '' : `${node.open}${quote(node.label)}${node.close}`}`);
  for (const edge of chart.edges) lines.push(`  ${edge.from} ${edge.arrow}${edge.label ? `|${edge.label}|` : ''} ${edge.to}`);
  for (const line of chart.extra) lines.push(`  ${line}`);
  return lines.join('\n');
}

const normal = (text: string) => text.replace(/^["'“‘]|["'”’]$/g, '').replace(/\s+/g, ' ').trim().toLowerCase();

function find(chart: Flowchart, name: string): FlowNode | string {
  const wanted = normal(name);
  const node = [...chart.nodes.values()].find((n) => normal(n.label ?? n.id) === wanted) ?? chart.nodes.get(name.trim());
  if (node) return node;
  const names = [...chart.nodes.values()].map((n) => `"${n.label ?? n.id}"`).join(', ');
  return `There is no step "${name.trim()}" in this flowchart; its steps are ${names}.`;
}

function newId(chart: Flowchart): string {
  for (let i = chart.nodes.size; ; i++) if (!chart.nodes.has(`S${i}`)) return `S${i}`;
}

const STEP = `["'“‘]?(.+?)["'”’]?`;
const INSTRUCTIONS: Array<[RegExp, (chart: Flowchart, m: RegExpMatchArray) => string | null]> = [
  [new RegExp(`^(?:add|insert)\\s+(?:a\\s+|an\\s+|the\\s+)?(?:new\\s+)?(?:step|node|box)?\\s*(?:called\\s+|named\\s+)?${STEP}\\s+(after|before)\\s+(?:the\\s+)?(?:step\\s+)?${STEP}$`, 'i'), (chart, m) => {
    const anchor = find(chart, m[3]);
    if (typeof anchor === 'string') return anchor;
    const added: FlowNode = { id: newId(chart), open: '[', close: ']', label: m[1].trim() };
    chart.nodes.set(added.id, added);
    if (m[2].toLowerCase() === 'after') {
      for (const edge of chart.edges) if (edge.from === anchor.id) edge.from = added.id;
      chart.edges.push({ from: anchor.id, to: added.id, arrow: '-->', label: null });
    } else {
      for (const edge of chart.edges) if (edge.to === anchor.id) edge.to = added.id;
      chart.edges.push({ from: added.id, to: anchor.id, arrow: '-->', label: null });
    }
    return null;
  }],
  [new RegExp(`^(?:rename|relabel)\\s+(?:the\\s+)?(?:step\\s+)?${STEP}\\s+(?:to|as|into)\\s+${STEP}$`, 'i'), (chart, m) => {
    const node = find(chart, m[1]);
    if (typeof node === 'string') return node;
    if (node.label === null) Object.assign(node, { open: '[', close: ']' });
    node.label = m[2].trim();
    return null;
  }],
  [new RegExp(`^(?:remove|delete|drop)\\s+(?:the\\s+)?(?:step\\s+)?${STEP}$`, 'i'), (chart, m) => {
    const node = find(chart, m[1]);
    if (typeof node === 'string') return node;
    const into = chart.edges.filter((edge) => edge.to === node.id && edge.from !== node.id);
    const out = chart.edges.filter((edge) => edge.from === node.id && edge.to !== node.id);
    chart.edges = chart.edges.filter((edge) => edge.from !== node.id && edge.to !== node.id);
    // The flow goes on around the removed step.
    for (const a of into) {
      for (const b of out) {
        if (!chart.edges.some((edge) => edge.from === a.from && edge.to === b.to)) chart.edges.push({ from: a.from, to: b.to, arrow: a.arrow, label: a.label ?? b.label });
      }
    }
    chart.nodes.delete(node.id);
    const mentions = new RegExp(`(^|[\\s,])${node.id.replace(/[-]/g, '\\-')}([\\s,]|$)`, 'u');
    chart.extra = chart.extra.filter((line) => line.startsWith('%%') || !mentions.test(line.replace(/^(style|class)\s+/, ' ')));
    if (!chart.nodes.size) return 'Removing it would leave the flowchart empty.';
    return null;
  }],
];

/** Applies one instruction to a Mermaid flowchart. */
export function editFlowchart(source: string, instruction: string): EditOutcome {
  const text = instruction.trim().replace(/[.!]+$/, '');
  const rule = INSTRUCTIONS.map(([pattern, apply]) => ({ match: text.match(pattern), apply })).find((r) => r.match);
  if (!rule?.match) return { ok: false, reason: `It does not understand "${text.slice(0, 80)}". ${EDITS_UNDERSTOOD}` };
  const chart = parse(source);
  if (typeof chart === 'string') return { ok: false, reason: `${chart} ${EDITS_UNDERSTOOD}` };
  const refused = rule.apply(chart, rule.match);
  return refused ? { ok: false, reason: refused } : { ok: true, source: write(chart) };
}
