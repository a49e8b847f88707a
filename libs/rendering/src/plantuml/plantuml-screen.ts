import type { RenderFailure } from '@flowsmith/contracts';

/**
 * The PlantUML source screen. It does not guess how PlantUML would read a comment: it removes the
 * comments itself and sends PlantUML the result, so that what it screens is exactly what the JVM
 * reads. Every line keeps its number (a removed line is sent empty).
 *
 * - A line whose first non-space character is `'` is sent empty (PlantUML's simple comment).
 * - A line that starts with `/'` without a closing `'/` opens a block comment: it, and every line
 *   up to and including the first that holds `'/`, are sent empty.
 * - Inside a line, every `/' … '/` is removed, wherever it stands (PlantUML removes some of these
 *   and reads others as text; removing all of them never hides anything from the screen). A `/'`
 *   or `'/` left unpaired is refused, so the JVM never sees a comment marker at all.
 *
 * The screen then reads each line, and each line joined with the lines its trailing backslashes
 * continue it with (with and without the next line's indent), and refuses (see `hostile`):
 * - `!include`, `!include_many`, `!include_once`, `!include_sprites` of anything but the standard
 *   library in the jar (`<C4/C4_Container>`), and `!includeurl`, `!includedef`, `!includesub`,
 *   `!import`, in any case, with any space after the `!`;
 * - `!theme` other than a theme bundled in the jar (a name it does not bundle is read from the
 *   working directory), `!theme … from`, `skin` other than a bundled skin (likewise),
 *   `<style file=…>` / `<style src=…>` (a style sheet from a file or URL);
 * - `!pragma` other than layout pragmas, `!option` other than the presentational ones;
 * - the built-ins that read the environment or the file system or call functions by name
 *   (`%getenv`, `%load_json`, `%file_exists`, `%eval`, `%call_user_func`, … see FORBIDDEN_FUNCTION),
 *   anywhere in a line;
 * - `<img…>` anywhere (an image from a file or URL), a `sprite` that is not drawn inline;
 * - `##` token pasting in `!define` / `!definelong` macros (it can assemble `<img:` from parts);
 * - a second diagram or a change of PlantUML's line reader: `@start…`/`@end…`/`@pause`/
 *   `@unpause`/`@append` (and their `\start…` spellings), a line that PlantUML would take as the
 *   start of a diagram behind a prefix (`'@startuml`, `<x>@startuml`: it then strips that prefix
 *   from every later line), and `@@@` commands to the pipe.
 *
 * Text that the preprocessor assembles at run time from variables (`!$a = "<im"`) is not visible
 * to any screen; for that the JVM runs in PlantUML's SANDBOX profile, which reads no file, URL or
 * environment variable (plantuml-process.ts).
 */

export type ScreenResult = { ok: true; lines: string[] } | { ok: false; error: RenderFailure };

/** Java's String.trim removes every character up to U+0020; JavaScript's trim removes Unicode spaces. Both, and zero-width ones. */
const isEdgeSpace = (char: string) => char.charCodeAt(0) <= 0x20 || /[\s\u200b-\u200d\u2060\ufeff]/.test(char);
export function looseTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isEdgeSpace(text[start])) start++;
  while (end > start && isEdgeSpace(text[end - 1])) end--;
  return text.slice(start, end);
}

/** Only the standard library bundled in the jar may be included: `!include <C4/C4_Container>`. */
const STDLIB_PATH = /^<(?!.*\.\.)[\w./-]+>$/;

/** Built-in functions that read the environment or the file system, or call other functions by name. */
const FORBIDDEN_FUNCTION =
  /%\s*(getenv|load_json|file_exists|filedate|dirpath|filename|filename_no_extension|get_all_stdlib|get_all_theme|get_stdlib|eval|call_user_func|invoke_procedure|retrieve_procedure)\b/i;

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

/** `!option` keys of PlantUML 1.2025.8 (preproc/OptionKey) that only change the drawing; `debug` is not among them. */
const ALLOWED_OPTIONS = new Set(['handwritten', 'language', 'use_descriptive_names', 'svg_desc', 'svg_title']);

/** The themes in the jar of PlantUML 1.2025.8 (`themes/puml-theme-*.puml`); any other name is looked up on disk. */
export const BUNDLED_THEMES = new Set(
  (
    '_none_ amiga aws-orange black-knight bluegray blueprint carbon-gray cerulean-outline cerulean cloudscape-design crt-amber ' +
    'crt-green cyborg-outline cyborg hacker lightgray mars materia-outline materia metal mimeograph minty mono plain ' +
    'reddress-darkblue reddress-darkgreen reddress-darkorange reddress-darkred reddress-lightblue reddress-lightgreen ' +
    'reddress-lightorange reddress-lightred sandstone silver sketchy-outline sketchy spacelab-white spacelab sunlust ' +
    'superhero-outline superhero toy united vibrant'
  ).split(' '),
);

/** The skins in the jar (`skin/*.skin`); `skin <name>` reads any other name from the working directory. */
const BUNDLED_SKINS = new Set(['debug', 'plantuml', 'reddress', 'rose', 'sonyxperiadev', 'strictuml']);

/** A pause, an append or a second start or end: PlantUML's line reader treats `\` as `@`. */
const FRAME_MARKER = /^[@\\](start|end|pause|unpause|append)/i;

interface Finding {
  /** What the message names: `!include`, `%getenv`… */
  what: string;
  reason: string;
  /** Text to look for in the physical line, for the column. */
  token: string;
}

const finding = (what: string, reason: string, token = what): Finding => ({ what, reason, token });

/**
 * PlantUML's StartUtils.beforeStartUml: a `@start`/`\start` behind a prefix of non-word characters
 * and `<…>` groups. PlantUML then removes that prefix from every later line that begins with it,
 * so `'@startuml` followed by `'!include /etc/passwd` is an include.
 */
function startsBehindPrefix(line: string): boolean {
  let inside = false;
  for (let i = 0; i < line.length; i++) {
    if (/^[@\\]start/i.test(line.slice(i))) return true;
    const char = line[i];
    if (inside) {
      if (char === '>') inside = false;
      continue;
    }
    if (char === '<') inside = true;
    else if (/[\w~]/.test(char)) return false;
  }
  return false;
}

/** Why one view of a line may not reach PlantUML, or null. */
function hostile(view: string, inMacro: boolean): Finding | null {
  const trimmed = looseTrim(view);
  const marker = FRAME_MARKER.exec(trimmed);
  if (marker || startsBehindPrefix(view)) {
    const word = marker ? trimmed.split(/\s/)[0] : '@start';
    return finding(word, 'starts or ends another diagram (a source holds one diagram)', marker ? word : '@start');
  }
  // The pipe itself reads "@@@format" lines as commands.
  if (trimmed.startsWith('@@@')) return finding('@@@', 'is a command to the PlantUML pipe');

  const directive = /^!\s*([A-Za-z_]\w*)\s*(.*)$/.exec(trimmed);
  if (directive) {
    const word = directive[1].toLowerCase();
    const rest = directive[2].trim();
    if (/^include(_many|_once|_sprites)?$/.test(word)) {
      if (!STDLIB_PATH.test(rest)) return finding(`!${word}`, 'reads a file or URL (only the bundled standard library is allowed, as in !include <C4/C4_Container>)', `!`);
    } else if (word.startsWith('include')) {
      return finding(`!${word}`, 'reads a file or URL', '!');
    } else if (word === 'import') {
      return finding('!import', 'loads a file', '!');
    } else if (word === 'theme') {
      if (/\sfrom\b/i.test(` ${rest}`)) return finding('!theme … from', 'loads a theme from a file or URL (the built-in themes are allowed, as in !theme cerulean)', '!');
      if (!BUNDLED_THEMES.has(rest.replace(/^["']|["']$/g, '').toLowerCase())) {
        return finding(`!theme ${rest}`, 'is not a theme bundled with PlantUML, so it would be read from a file (the built-in themes are allowed, as in !theme cerulean)', '!');
      }
    } else if (word === 'pragma') {
      const pragma = /^(\S+)\s*(.*)$/.exec(rest);
      const name = (pragma?.[1] ?? '').toLowerCase().replace(/[^a-z]/g, '');
      // Smetana is the only layout engine in the jar (ELK is not bundled).
      const allowed = ALLOWED_PRAGMAS.has(name) && (name !== 'layout' || (pragma?.[2] ?? '').trim().toLowerCase() === 'smetana');
      if (!allowed) return finding(`!pragma ${pragma?.[1] ?? ''}`.trim(), 'changes how PlantUML runs (layout pragmas such as !pragma layout smetana and !pragma teoz true are allowed)', '!');
    } else if (word === 'option') {
      const key = (/^[\w.]+/.exec(rest)?.[0] ?? '').toLowerCase();
      if (!ALLOWED_OPTIONS.has(key)) return finding(`!option ${key}`.trim(), 'changes how PlantUML runs (only handwritten, language, use_descriptive_names, svg_desc and svg_title are allowed)', '!');
    }
    if ((word === 'define' || word === 'definelong') && view.includes('##')) {
      return finding('## in a macro', 'pastes tokens together, which can assemble a refused form', '##');
    }
  }
  if (inMacro && view.includes('##')) return finding('## in a macro', 'pastes tokens together, which can assemble a refused form', '##');

  const fn = FORBIDDEN_FUNCTION.exec(view);
  if (fn) return finding(`%${fn[1].toLowerCase()}`, 'reads the environment or the file system, or calls functions by name', '%');
  if (/<\s*img/i.test(view)) return finding('<img>', 'embeds an image from a file or URL', '<');
  if (/<\s*style\b(?!\s*>)/i.test(view)) return finding('<style> with a file or URL', 'imports a style sheet from a file or URL (an inline <style> block is allowed)', '<');

  const skin = /^skin\s+(\S+)/i.exec(trimmed);
  if (skin && !BUNDLED_SKINS.has(skin[1].replace(/^["']|["']$/g, '').toLowerCase())) {
    return finding(`skin ${skin[1]}`, 'is not a skin bundled with PlantUML, so it would be read from a file (skin rose and the like are allowed)', 'skin');
  }
  const sprite = /^sprite\s*\$?[-\p{L}\p{N}_]*\s*(.*)$/iu.exec(trimmed);
  if (sprite && sprite[1] !== '' && !/^(\[|\{|<svg\b)/i.test(sprite[1])) {
    return finding('A sprite from a file or URL', 'reads a file or URL (inline sprites are allowed)', 'sprite');
  }
  return null;
}

/** Column (from 1) of a finding in the physical line: where its token stands, else the first non-space character. */
function columnOf(physical: string, token: string): number {
  const at = physical.toLowerCase().indexOf(token.toLowerCase());
  if (at >= 0) return at + 1;
  return physical.length - physical.replace(/^\s+/, '').length + 1;
}

/**
 * The user's lines (between the frame) as they are to be sent to PlantUML, comments removed, or
 * the first refusal. `lineOf(index)` is the user's line number (from 1) of body line `index`.
 */
export function screenPlantumlBody(body: readonly string[], lineOf: (index: number) => number): ScreenResult {
  const lines: string[] = [];
  let inComment = false;
  const refuse = (index: number, found: Finding): ScreenResult => {
    const line = lineOf(index);
    const column = columnOf(body[index], found.token);
    return { ok: false, error: { code: 'parse_failed', message: `Line ${line}: ${found.what} is not allowed, because it ${found.reason}.`, line, column } };
  };

  for (let index = 0; index < body.length; index++) {
    const raw = body[index];
    if (inComment) {
      lines.push('');
      if (raw.includes("'/")) inComment = false;
      continue;
    }
    const trimmed = looseTrim(raw);
    if (trimmed.startsWith("'")) {
      lines.push('');
      continue;
    }
    if (trimmed.startsWith("/'") && !trimmed.includes("'/", 2)) {
      inComment = true;
      lines.push('');
      continue;
    }
    const text = raw.replace(/\/'[\s\S]*?'\//g, '');
    if (text.includes("/'") || text.includes("'/")) {
      return refuse(index, finding("A comment marker /' or '/ without its pair", 'would make PlantUML read the rest of the line differently from what is shown', text.includes("/'") ? "/'" : "'/"));
    }
    lines.push(looseTrim(text).startsWith("'") ? '' : text);
  }

  let inMacro = false;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (line === '') continue;
    const views = [line];
    // PlantUML joins a line that ends in a backslash with the next: "!inc\" + "lude /etc/passwd" is an include.
    if (line.endsWith('\\')) {
      let joined = line;
      let joinedTrimmed = line;
      for (let next = index + 1; joined.endsWith('\\') && next < lines.length; next++) {
        joined = joined.slice(0, -1) + lines[next];
        joinedTrimmed = joinedTrimmed.endsWith('\\') ? joinedTrimmed.slice(0, -1) + lines[next].trimStart() : joinedTrimmed;
      }
      views.push(joined, joinedTrimmed);
    }
    for (const view of views) {
      const found = hostile(view, inMacro);
      if (found) return refuse(index, found);
    }
    const trimmed = looseTrim(line);
    if (/^!\s*definelong\b/i.test(trimmed)) inMacro = true;
    else if (/^!\s*enddefinelong\b/i.test(trimmed) || /^!\s*end\s*definelong\b/i.test(trimmed)) inMacro = false;
  }
  return { ok: true, lines };
}
