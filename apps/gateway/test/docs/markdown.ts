/** A Markdown heading and the lines under it, up to the next heading of its level or higher. */
export interface MarkdownSection {
  level: number;
  title: string;
  body: string;
}

/** The sections of a Markdown page; headings inside fenced code blocks are not headings. */
export function markdownSections(markdown: string): MarkdownSection[] {
  const lines = markdown.split('\n');
  const headings: { index: number; level: number; title: string }[] = [];
  let fence: string | null = null;
  lines.forEach((line, index) => {
    const marker = /^\s*(```|~~~)/.exec(line)?.[1];
    if (marker) fence = fence === null ? marker : fence === marker ? null : fence;
    const heading = fence === null && !marker ? /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line) : null;
    if (heading) headings.push({ index, level: heading[1].length, title: heading[2] });
  });
  return headings.map((heading, i) => {
    const end = headings.slice(i + 1).find((next) => next.level <= heading.level)?.index ?? lines.length;
    return { level: heading.level, title: heading.title, body: lines.slice(heading.index + 1, end).join('\n') };
  });
}

/** Every `code span` of a text outside its fenced code blocks, a span broken over lines joined by a space. */
export function codeSpans(text: string): Set<string> {
  const prose = text.replace(/^\s*(```|~~~)[\s\S]*?^\s*\1.*$/gm, '');
  return new Set([...prose.matchAll(/`([^`]+)`/g)].map((match) => match[1].replace(/\s*\n\s*/g, ' ')));
}

/** The rows of the Markdown tables in a text, as trimmed cells (header and separator rows included). */
export function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => /^\s*\|.*\|\s*$/.test(line))
    .map((line) => line.trim().slice(1, -1).split('|').map((cell) => cell.trim()));
}

/** The lines of every ```sh block of a page, continuation lines (ending in `\`) joined into one. */
export function shellLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    let pending = '';
    for (const line of block[1].split('\n')) {
      if (line.endsWith('\\')) pending += `${line.slice(0, -1)} `;
      else {
        lines.push((pending + line).trim());
        pending = '';
      }
    }
  }
  return lines.filter(Boolean);
}
