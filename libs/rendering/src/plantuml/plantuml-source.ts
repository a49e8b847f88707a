import { MAX_SOURCE_BYTES, RenderFailure } from '@flowsmith/contracts';

/** A user's source, framed for the pipe: exactly one `@start…`/`@end…` pair around it. */
export interface FramedSource {
  /** What goes down the pipe: the @start line, the preamble, the user's lines, the @end line. */
  text: string;
  /** The word after @start: uml, mindmap, gantt, json… */
  kind: string;
  /** The user's lines between the frame, for diagram-type hints. */
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

/** Only the standard library bundled in the jar may be included: `!include <C4/C4_Container>`. */
const STDLIB_PATH = /^<(?!.*\.\.)[\w./-]+>$/;

/** Built-in functions that read the environment or the file system, or call other functions by name. */
const FORBIDDEN_FUNCTION =
  /%(getenv|load_json|file_exists|filedate|dirpath|filename|filename_no_extension|get_all_stdlib|get_all_theme|get_stdlib|eval|call_user_func|invoke_procedure|retrieve_procedure)\b/i;

/** Pragmas that only change layout; the others run programs (Graphviz, LaTeX), write trace files or add script. */
const ALLOWED_PRAGMAS = new Set([
  'layout',
  'teoz',
  'useverticalif',
  'useintermediatepackages',
  'horizontallinebetweendifferentpackageallowed',
  'ratio',
  'aspect',
  'compact',
  'kermor',
  'labelangle',
  'labeldistance',
  'defaultlabelangle',
  'defaultlabeldistance',
]);

function refused(line: number, what: string, reason: string): RenderFailure {
  return { code: 'parse_failed', message: `Line ${line}: ${what} is not allowed, because it ${reason}.`, line };
}

/** Why one (logical) line may not reach PlantUML, or null. */
function hostile(text: string, line: number): RenderFailure | null {
  const trimmed = text.trim();
  const include = /^!(include\w*)\s*(.*)$/i.exec(trimmed);
  if (include) {
    const directive = `!${include[1].toLowerCase()}`;
    if (directive === '!includeurl') return refused(line, directive, 'reads a URL');
    if (!STDLIB_PATH.test(include[2].trim())) {
      return refused(line, directive, 'reads a file or URL (only the bundled standard library is allowed, as in !include <C4/C4_Container>)');
    }
  }
  if (/^!import\b/i.test(trimmed)) return refused(line, '!import', 'loads a file');
  if (/^!theme\b.*\sfrom\b/i.test(trimmed)) {
    return refused(line, '!theme … from', 'loads a theme from a file or URL (the built-in themes are allowed, as in !theme cerulean)');
  }
  const pragma = /^!pragma\s+(\S+)\s*(.*)$/i.exec(trimmed);
  if (pragma) {
    const name = pragma[1].toLowerCase().replace(/[^a-z]/g, '');
    // Smetana is the only layout engine in the jar (ELK is not bundled).
    const allowed = ALLOWED_PRAGMAS.has(name) && (name !== 'layout' || pragma[2].trim().toLowerCase() === 'smetana');
    if (!allowed) return refused(line, `!pragma ${pragma[1]}`, 'changes how PlantUML runs (layout pragmas such as !pragma layout smetana and !pragma teoz true are allowed)');
  }
  const fn = FORBIDDEN_FUNCTION.exec(text);
  if (fn) return refused(line, `%${fn[1].toLowerCase()}`, 'reads the environment or the file system, or calls functions by name');
  if (/<img\b/i.test(text)) return refused(line, '<img>', 'embeds an image from a file or URL');
  if (/^sprite\s+\$?[\w.-]+\s+(?![[<])\S/i.test(trimmed)) return refused(line, 'A sprite from a file or URL', 'reads a file or URL (inline sprites are allowed)');
  if (/^@(start|end)/i.test(trimmed)) {
    return { code: 'parse_failed', message: `Line ${line}: a source holds one diagram, but ${trimmed.split(/\s/)[0]} starts or ends another.`, line };
  }
  // The pipe itself reads "@@@format" lines as commands.
  if (trimmed.startsWith('@@@')) return refused(line, '@@@', 'is a command to the PlantUML pipe');
  return null;
}

/**
 * Frames a source for the PlantUML pipe and refuses what must not reach the JVM. Sources may come
 * with or without `@startuml`/`@enduml` (or `@startmindmap`, `@startgantt`…); we always write the
 * frame ourselves, so a source can neither hold two diagrams nor leave the pipe waiting for an end.
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
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first < 0) return { ok: false, error: { code: 'parse_failed', message: 'The source is empty.' } };

  const start = /^@start([a-z]*)/i.exec(lines[first].trim());
  let kind = 'uml';
  let startLine = '@startuml';
  let bodyStart = 0;
  let bodyEnd = lines.length;
  if (start) {
    kind = start[1].toLowerCase() || 'uml';
    startLine = lines[first].trim();
    bodyStart = first + 1;
    const end = lines.findIndex((line, index) => index > first && /^@end/i.test(line.trim()));
    if (end >= 0) {
      bodyEnd = end;
      const extra = lines.findIndex((line, index) => index > end && line.trim() !== '');
      if (extra >= 0) return { ok: false, error: { code: 'parse_failed', message: `Line ${extra + 1}: a source holds one diagram, but more follows its ${lines[end].trim()}.`, line: extra + 1 } };
    }
  }
  if (UNSUPPORTED_KINDS[kind]) return { ok: false, error: { code: 'parse_failed', message: `${UNSUPPORTED_KINDS[kind]}.`, line: first + 1 } };

  const body = lines.slice(bodyStart, bodyEnd);
  for (let index = 0; index < body.length; index++) {
    const line = bodyStart + index + 1;
    // PlantUML joins a line that ends in a backslash with the next: "!inc\" + "lude /etc/passwd" is an include.
    let logical = body[index];
    for (let next = index + 1; logical.endsWith('\\') && next < body.length; next++) logical = logical.slice(0, -1) + body[next];
    const failure = hostile(body[index], line) ?? (logical === body[index] ? null : hostile(logical, line));
    if (failure) return { ok: false, error: failure };
  }

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
