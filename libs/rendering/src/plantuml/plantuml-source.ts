import { MAX_SOURCE_BYTES, RenderFailure } from '@flowsmith/contracts';
import { looseTrim, screenPlantumlBody } from './plantuml-screen';

/** A user's source, framed for the pipe: exactly one `@start…`/`@end…` pair around it. */
export interface FramedSource {
  /** What goes down the pipe: the @start line, the preamble, the user's lines, the @end line. */
  text: string;
  /** The word after @start: uml, mindmap, gantt, json… */
  kind: string;
  /** The user's lines between the frame as sent (comments removed), for diagram-type hints. */
  body: readonly string[];
  /** The user's line (from 1) of a line PlantUML reports (from 0 at the @start line); none inside our preamble. */
  userLine(reported: number): number | undefined;
}

export type FramedResult = { ok: true; value: FramedSource } | { ok: false; error: RenderFailure };

/** Kinds PlantUML cannot draw as SVG here. */
const UNSUPPORTED_KINDS: Record<string, string> = {
  ditaa: '@startditaa diagrams are not supported: PlantUML draws them only as PNG',
  dot: '@startdot diagrams are not supported: they need Graphviz, which is not installed',
};

/** Kinds whose body is text to typeset, where a preamble would show. */
const TEXT_KINDS = new Set(['creole', 'math', 'latex', 'def']);

/**
 * Frames a source for the PlantUML pipe and refuses what must not reach the JVM (plantuml-screen.ts).
 * Sources may come with or without `@startuml`/`@enduml` (or `@startmindmap`, `@startgantt`…); we
 * always write the frame ourselves (`@start<kind>`, nothing after the kind), so a source can neither
 * hold two diagrams nor leave the pipe waiting for an end.
 * `preamble` (layout, theme) goes right after the @start line, so the user's own settings override
 * it; kinds whose body is text to typeset (creole, math) get none.
 */
export function framePlantumlSource(source: string, preamble: readonly string[]): FramedResult {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_SOURCE_BYTES) {
    return { ok: false, error: { code: 'parse_failed', message: `The source is ${Math.ceil(bytes / 1024)} KB; PlantUML sources may be at most ${MAX_SOURCE_BYTES / 1024} KB.` } };
  }
  // Java's line reader also breaks lines at a lone \r: normalizing keeps our line numbers equal to PlantUML's.
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const first = lines.findIndex((line) => looseTrim(line) !== '');
  if (first < 0) return { ok: false, error: { code: 'parse_failed', message: 'The source is empty.' } };

  const start = /^@start([a-z]*)/i.exec(looseTrim(lines[first]));
  let kind = 'uml';
  let startLine = '@startuml';
  let bodyStart = 0;
  let bodyEnd = lines.length;
  if (start) {
    kind = start[1].toLowerCase() || 'uml';
    startLine = `@start${kind}`;
    bodyStart = first + 1;
    const end = lines.findIndex((line, index) => index > first && /^[@\\]end/i.test(looseTrim(line)));
    if (end >= 0) {
      bodyEnd = end;
      const extra = lines.findIndex((line, index) => index > end && looseTrim(line) !== '');
      if (extra >= 0) return { ok: false, error: { code: 'parse_failed', message: `Line ${extra + 1}: a source holds one diagram, but more follows its ${lines[end].trim()}.`, line: extra + 1 } };
    }
  }
  if (UNSUPPORTED_KINDS[kind]) return { ok: false, error: { code: 'parse_failed', message: `${UNSUPPORTED_KINDS[kind]}.`, line: first + 1 } };

  const screened = screenPlantumlBody(lines.slice(bodyStart, bodyEnd), (index) => bodyStart + index + 1);
  if (!screened.ok) return screened;
  const body = screened.lines;

  const injected = TEXT_KINDS.has(kind) ? [] : preamble;
  const text = [startLine, ...injected, ...body, `@end${kind}`].join('\n') + '\n';
  return {
    ok: true,
    value: {
      text,
      kind,
      body,
      userLine: (reported) => {
        if (reported === 0) return start ? first + 1 : undefined;
        if (reported <= injected.length) return undefined;
        return Math.min(bodyStart + reported - injected.length, lines.length);
      },
    },
  };
}
