import { languageOfFence, type SourceFormat } from '@flowsmith/contracts';

/** What a fence's info string says: its diagram language (if any) and its `alt` or `title` attribute. */
export interface FenceInfo {
  language?: SourceFormat;
  title?: string;
}

/** A diagram in a Markdown code fence. Line indexes count from 0. */
export interface DiagramFence {
  language: SourceFormat;
  title?: string;
  source: string;
  /** The fence's own indentation (inside a list item), repeated on the lines `embed` adds under it. */
  indent: string;
  start: number;
  /** The closing fence's line. */
  end: number;
}

const OPENING = /^( *)(`{3,}|~{3,})(.*)$/;
const ATTRIBUTE = /([A-Za-z_][\w-]*)=(?:"([^"]*)"|'([^']*)'|([^\s}]+))/g;

/**
 * Reads an info string the ways people write one: ```` ```mermaid ````, ```` ```mermaid title="Login" ````,
 * ```` ```mermaid {title="Login"} ````, Pandoc's ```` ``` {.mermaid #login title="Login"} ```` and
 * MyST's ```` ```{mermaid} ````. The language comes from the registry's fences
 * (libs/contracts/src/languages.ts).
 */
export function parseInfo(info: string): FenceInfo {
  const text = info.trim();
  const attributes: Record<string, string> = {};
  for (const match of text.matchAll(ATTRIBUTE)) attributes[match[1].toLowerCase()] = match[2] ?? match[3] ?? match[4];
  const title = attributes.alt ?? attributes.title;
  if (!text.startsWith('{')) return { language: languageOfFence(text), title };
  const inside = text.slice(1, text.includes('}') ? text.indexOf('}') : undefined).replace(ATTRIBUTE, ' ');
  const words = inside.split(/\s+/).filter((word) => word && !word.startsWith('#'));
  const language = words.map((word) => languageOfFence(word.replace(/^\./, ''))).find((found) => found !== undefined);
  return { language, title };
}

/**
 * The diagram fences of a Markdown document, as CommonMark reads fences: ``` or ~~~, three or more,
 * closed by the same character at least as many times. Fences of other languages are skipped whole,
 * so a diagram shown inside a ````markdown example is not one. A diagram fence never closed is
 * returned in `unclosed` (CommonMark would run it to the end of the document).
 */
export function findDiagramFences(lines: readonly string[]): { fences: DiagramFence[]; unclosed: number[] } {
  const fences: DiagramFence[] = [];
  const unclosed: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPENING.exec(lines[i]);
    if (!open) continue;
    const [, indent, marker, info] = open;
    if (marker[0] === '`' && info.includes('`')) continue;
    const closing = new RegExp(`^ *${marker[0] === '`' ? '`' : '~'}{${marker.length},} *$`);
    const end = lines.findIndex((line, j) => j > i && closing.test(line));
    const { language, title } = parseInfo(info);
    if (end < 0) {
      if (language) unclosed.push(i);
      break;
    }
    if (language) {
      const body = lines.slice(i + 1, end).map((line) => line.replace(new RegExp(`^ {0,${indent.length}}`), ''));
      fences.push({ language, title, source: body.join('\n'), indent, start: i, end });
    }
    i = end;
  }
  return { fences, unclosed };
}
