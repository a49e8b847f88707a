import { SourceError } from '../thread/drawing';

/** What `txt`/`utxt` output draws of Mermaid (beautiful-mermaid's ASCII renderer), by the source's first keyword. */
const TEXT_TYPES: Array<[RegExp, string]> = [
  [/^(flowchart|graph)\b/i, 'flowchart'],
  [/^statediagram(-v2)?\b/i, 'state'],
  [/^sequencediagram\b/i, 'sequence'],
  [/^classdiagram\b/i, 'class'],
  [/^erdiagram\b/i, 'er'],
  [/^xychart(-beta)?\b/i, 'xychart'],
];

/** The diagram without what precedes its keyword: front matter, `%%` comments and directives, blank lines. */
function body(source: string): string {
  let text = source.replace(/^\uFEFF/, '');
  const frontMatter = /^\s*---\r?\n[\s\S]*?\r?\n---\s*(\r?\n|$)/.exec(text);
  if (frontMatter) text = text.slice(frontMatter[0].length);
  const lines = text.split(/\r?\n/);
  while (lines.length && (!lines[0].trim() || lines[0].trim().startsWith('%%'))) lines.shift();
  return lines.join('\n');
}

/**
 * Mermaid as text (`txt`: ASCII, `utxt`: Unicode box drawing), by beautiful-mermaid, in a thread
 * of the script pool. Plain text: no colours, nothing that a terminal or a Markdown code block
 * would read as markup.
 */
export async function text(source: string, ascii: boolean): Promise<{ text: string; diagramType: string }> {
  const diagram = body(source);
  const first = diagram.trimStart().split('\n', 1)[0].trim();
  const type = TEXT_TYPES.find(([pattern]) => pattern.test(first))?.[1];
  if (!type) {
    const kind = /^[\w-]+/.exec(first)?.[0] ?? 'this diagram';
    throw new SourceError(`Text output draws Mermaid flowcharts, state, sequence, class, ER and xychart diagrams, not ${kind}: ask for svg, png, jpeg, webp or pdf.`, 1);
  }
  const { renderMermaidASCII } = await import('beautiful-mermaid');
  try {
    return { text: renderMermaidASCII(diagram, { useAscii: ascii, colorMode: 'none' }), diagramType: type };
  } catch (error) {
    throw new SourceError(`Mermaid (text): ${error instanceof Error ? error.message : String(error)}`);
  }
}
