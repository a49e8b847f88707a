import type { SourceFormat } from './languages';

/**
 * The language of a source sent without `source_format` (docs/api.md, "Source formats"): every
 * route that takes a source detects it, and answers with `detected_format`. Markers that only one
 * language writes come first (XML roots, JSON keys, `@startuml`, TeX, a blockdiag header, DOT's
 * `graph {`, Mermaid's diagram keyword); the languages with no header of their own (Bytefield,
 * DBML, nomnoml, Pikchr, Svgbob, D2) follow, each by what its statements look like. `undefined`
 * when nothing matches: the caller says to send `source_format`.
 *
 * Every corpus source of every language detects as its own (libs/rendering/test/detect-format.spec.ts).
 */
export function detectSourceFormat(source: string): SourceFormat | undefined {
  const text = source.replace(/^\uFEFF/, '');
  const body = text.trimStart();
  if (body.startsWith('<')) return detectXml(body);
  if (body.startsWith('{')) {
    const json = detectJson(body);
    if (json) return json;
  }
  const statements = meaningfulLines(text);
  const first = statements[0] ?? '';
  // C4 is PlantUML with its C4 library: `!include <C4/C4_Container>` or a file of the C4-PlantUML project.
  if (/^@start[a-z]+\b/im.test(text)) return /^\s*!include(url)?\s+\S*C4[/_-]/im.test(text) ? 'c4plantuml' : 'plantuml';
  if (/^\s*\\(documentclass|usetikzlibrary|usepackage|begin\s*\{tikzpicture\}|tikz\b|tikzset)/m.test(text)) return 'tikz';
  const diag = /^(blockdiag|seqdiag|actdiag|nwdiag|packetdiag|rackdiag)\b[^{\n]*\{/.exec(first);
  if (diag) return diag[1] as SourceFormat;
  if (/^\s*(strict\s+)?(di)?graph\b\s*("[^"]*"|[\w.]+)?\s*\{/i.test(statements.slice(0, 3).join('\n')) && !isMermaidHeader(first)) return 'graphviz';
  if (isMermaidHeader(first)) return 'mermaid';
  if (/^\(\s*(def|defattrs|draw-\w+|next-row|draw-box)\b/m.test(text)) return 'bytefield';
  if (/^\s*(table|tablegroup|enum|project)\s+("[^"]*"|[\w.]+)(\s+as\s+\w+)?\s*(\[[^\]\n]*\])?\s*\{/im.test(text) || /^\s*ref\s*[\w"]*\s*:\s*[\w".]+\s*[<>-]/im.test(text)) return 'dbml';
  if (statements.some((line) => /^#(direction|\.[\w-]+|fill|stroke|font|fontSize|arrowSize|bendSize|edges|gravity|lineWidth|padding|ranker|spacing|title|zoom|leading|acyclicer)\s*:/.test(line)) || statements.some((line) => /^\[[^\]\n]+\]/.test(line) && /\]\s*[^[\]\n]*(->|-->|-:>|<-|--|-o|o-|\+-|-\+)\s*[^[\]\n]*\[/.test(line))) return 'nomnoml';
  if (statements.some(isPikchrStatement)) return 'pikchr';
  if (isAsciiArt(text)) return 'svgbob';
  if (statements.some(isD2Statement)) return 'd2';
  return undefined;
}

function detectXml(body: string): SourceFormat | undefined {
  // The root element: past the XML declaration, comments, doctype and processing instructions.
  const root = /^(?:\s*(?:<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>))*\s*<([\w.-]+:)?([\w.-]+)/i.exec(body);
  const name = root?.[2];
  if (name === 'mxfile' || name === 'mxGraphModel') return 'drawio';
  if (name === 'definitions') return 'bpmn';
  if (name === 'svg') return 'svg';
  return undefined;
}

function detectJson(body: string): SourceFormat | undefined {
  if (/"type"\s*:\s*"excalidraw"/.test(body)) return 'excalidraw';
  const schema = /"\$schema"\s*:\s*"([^"]*)"/.exec(body)?.[1];
  if (schema && /vega-lite/.test(schema)) return 'vegalite';
  if (schema && /\/vega\//.test(schema)) return 'vega';
  // WaveDrom writes JSON5: keys may be bare or quoted.
  if (/^\{\s*["']?(signal|assign|reg|config|head|foot|edge)["']?\s*:/.test(body)) return 'wavedrom';
  if (/"marks"\s*:/.test(body)) return 'vega';
  if (/"(mark|layer|facet|hconcat|vconcat|concat|repeat)"\s*:/.test(body)) return 'vegalite';
  return undefined;
}

/** Lines that say something: no blank lines, comments (`#`, `//`, `%%`, `;;`, `'`) or Mermaid front matter. */
function meaningfulLines(text: string): string[] {
  const withoutFrontMatter = text.replace(/^\s*---\r?\n[\s\S]*?\r?\n---\s*(\r?\n|$)/, '');
  return withoutFrontMatter
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^(%%|\/\/|;;|#(?![\w.]+\s*:)|')/.test(line));
}

/**
 * Mermaid's diagram keywords (mermaid 12: docs/mermaid.md lists every type and its detector),
 * `-beta` and `-v2` variants included. DOT's `graph {` / `digraph G {` is told apart by its brace.
 */
const MERMAID_KEYWORDS = new Set([
  'flowchart', 'graph', 'flowchart-elk', 'sequencediagram', 'classdiagram', 'statediagram', 'erdiagram', 'journey', 'gantt', 'pie',
  'quadrantchart', 'requirementdiagram', 'requirement', 'gitgraph', 'c4context', 'c4container', 'c4component', 'c4dynamic', 'c4deployment',
  'mindmap', 'timeline', 'zenuml', 'sankey', 'xychart', 'block', 'packet', 'kanban', 'architecture', 'radar', 'treemap', 'usecase',
  'agentflow', 'swimlane', 'treeview', 'eventmodeling', 'ishikawa', 'venn', 'wardley', 'cynefin', 'railroad', 'railroad-ebnf',
  'railroad-abnf', 'railroad-peg', 'info',
]);

function isMermaidHeader(line: string): boolean {
  const word = /^([A-Za-z][\w-]*)/.exec(line)?.[1]?.toLowerCase();
  if (!word) return false;
  const base = word.replace(/-(beta|v2)$/, '');
  // `graph {` is DOT; Mermaid's `graph` is followed by a direction or nothing.
  if (base === 'graph') return /^graph(\s+(TB|TD|BT|RL|LR))?\s*;?\s*$/i.test(line);
  // `block {` would be D2 (a shape called block): Mermaid's keyword stands alone on its line.
  if (base === 'block' || base === 'packet' || base === 'info' || base === 'requirement') return /^[\w-]+\s*$/.test(line);
  return MERMAID_KEYWORDS.has(base) && /^[\w-]+(\s|:|;|$)/.test(line);
}

const PIKCHR_OBJECTS = 'box|circle|ellipse|oval|cylinder|file|diamond|arrow|line|spline|arc|move|text|dot';

/** `box "Build" fit`, `S: file "src"`, `arrow right 200%`, `right`, `linewid = 0.4`. */
function isPikchrStatement(line: string): boolean {
  if (new RegExp(`^([A-Z]\\w*\\s*:\\s*)?(${PIKCHR_OBJECTS})(\\s+("|[a-z0-9.$]|->|<-|<->)|\\s*;|\\s*$)`).test(line) && !/^\w+\s*(->|<-|<->|--)\s*\w/.test(line)) return true;
  return /^(right|left|up|down)\s*;?\s*$/.test(line) || /^(linewid|boxwid|boxht|circlerad|scale|fontscale|charwid|charht|arrowht|arrowwid|thickness|color|fill)\s*=\s*[\d.]/.test(line);
}

/** A drawing in characters: box corners and runs of line characters, as Svgbob reads them. */
function isAsciiArt(text: string): boolean {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const drawn = lines.filter((line) => /[.+'`*]-{2,}|-{2,}[.+'`*]|^\s*[|+.'`*]\s*$|\|\s.*\s\||-{3,}>|<-{3,}/.test(line));
  return lines.length > 0 && drawn.length >= Math.max(2, Math.ceil(lines.length / 4));
}

/** `a -> b`, `a: Label`, `a: { … }`, `direction: right`, `shape: sequence_diagram`. */
function isD2Statement(line: string): boolean {
  return /^[\w"'.$-][^:{}\n]*?\s*(->|<-|<->|--)\s*\S/.test(line) || /^[\w"'.$-][\w"'. $-]*\s*:\s*(\S|$)/.test(line) || /^[\w"'.$-][\w"'. $-]*\s*\{\s*$/.test(line);
}
