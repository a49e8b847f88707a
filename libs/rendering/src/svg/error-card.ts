import type { RenderFailure } from '@flowsmith/contracts';
import type { EngineSvg } from '../engine';
import { FONT_STACK, ThemeDefinition } from '../themes';

const escapeText = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if ((line + ' ' + word).trim().length > width) {
      if (line) lines.push(line);
      line = word.slice(0, width);
    } else line = (line + ' ' + word).trim();
  }
  if (line) lines.push(line);
  return lines.slice(0, 6);
}

/** What a public embed shows instead of a diagram whose source failed: the reason, legibly. */
export function errorCardSvg(error: RenderFailure, theme: ThemeDefinition): EngineSvg {
  const dark = theme.tone === 'dark';
  const text = dark ? '#fca5a5' : '#b91c1c';
  const muted = dark ? '#d1d5db' : '#374151';
  const lines = wrap(error.message, 64);
  const height = 56 + lines.length * 18;
  const body =
    `<rect x="1" y="1" width="478" height="${height - 2}" rx="8" fill="${dark ? '#2a1f23' : '#fef2f2'}" stroke="${text}" stroke-width="1.5"/>` +
    `<text x="20" y="30" font-family="${escapeText(FONT_STACK).replace(/"/g, '&quot;')}" font-size="15" font-weight="bold" fill="${text}">This diagram could not be rendered</text>` +
    lines
      .map((line, i) => `<text x="20" y="${54 + i * 18}" font-family="${FONT_STACK.replace(/"/g, '&quot;')}" font-size="12" fill="${muted}">${escapeText(line)}</text>`)
      .join('');
  return { svg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 480 ${height}">${body}</svg>`, diagramType: 'error', viewBox: [0, 0, 480, height] };
}
