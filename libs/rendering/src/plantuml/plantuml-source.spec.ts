import { framePlantumlSource } from './plantuml-source';

const THEME = ['skinparam defaultFontName "Inter"'];

function refusal(source: string) {
  const framed = framePlantumlSource(source, THEME);
  if (framed.ok) throw new Error(`expected a refusal, but this went to the JVM:\n${framed.value.text}`);
  return framed.error;
}

function sent(source: string): string {
  const framed = framePlantumlSource(source, THEME);
  if (!framed.ok) throw new Error(`expected the source to pass, got: ${framed.error.message}`);
  return framed.value.text;
}

/**
 * Forms that passed the screen before it read the source as PlantUML's preprocessor does (each
 * was checked against the old screen; the first eight read a file or drew a picture from disk on
 * a JVM without the SANDBOX profile). [name, source, line, column, what the message names]
 */
const REFUSED: Array<[string, string, number, number, string]> = [
  ['an inline block comment before !include', "/' c '/ !include /etc/passwd", 1, 9, '!include'],
  ['an inline block comment right before !include', "Alice -> Bob\n/' c '/!include /etc/passwd", 2, 8, '!include'],
  ['a prefix that PlantUML strips from later lines (<x>@startuml)', '<x>@startuml\n<x>!include /etc/passwd', 1, 4, '@start'],
  ['a sprite from a file behind a comment', "/' '/ sprite $s /etc/passwd\nAlice -> Bob : <$s>", 1, 7, 'sprite'],
  ['!pragma svginteractive behind a comment (adds script)', "/' '/ !pragma svginteractive true\nAlice -> Bob", 1, 7, '!pragma svginteractive'],
  ['a theme that is not in the jar (read from the working directory)', '!theme secret\nAlice -> Bob', 1, 1, '!theme secret'],
  ['a skin that is not in the jar (read from the working directory)', 'skin secret\nAlice -> Bob', 1, 1, 'skin secret'],
  ['a style sheet from a file', '<style file=/etc/passwd>\nAlice -> Bob', 1, 1, '<style> with a file or URL'],
  ['a style sheet from a URL', '<style src="http://127.0.0.1:9/x.css">\nAlice -> Bob', 1, 1, '<style> with a file or URL'],
  ['an image assembled by token pasting in !define', '!define I(b) <im##b:/etc/passwd>\nAlice -> Bob : I(g)', 1, 17, '## in a macro'],
  ['token pasting in a !definelong body', '!definelong I(b)\n<im##b:/etc/passwd>\n!enddefinelong\nAlice -> Bob : I(g)', 2, 4, '## in a macro'],
  ['!import behind a comment', "/' '/ !import /tmp/evil.jar\nAlice -> Bob", 1, 7, '!import'],
  ['!theme … from behind a comment', "/' '/ !theme spacelab from /etc\nAlice -> Bob", 1, 7, '!theme … from'],
  ['a comment inside a directive name', "!inc/' x '/lude /etc/passwd", 1, 1, '!include'],
  ['a comment inside %getenv', `Alice -> Bob : %get/' x '/env("HOME")`, 1, 16, '%getenv'],
  ['a comment inside <img', "Alice -> Bob : <im/' x '/g:/etc/passwd>", 1, 16, '<img>'],
  ['%getenv split by a continuation onto an indented line', 'Alice -> Bob : %get\\\n   env("HOME")', 1, 16, '%getenv'],
  ['a control character before !include (Java trims it)', '\x01!include /etc/passwd', 1, 2, '!include'],
  ['a space after the !', '! include /etc/passwd', 1, 1, '!include'],
  ['!option debug', '!option debug true\nAlice -> Bob', 1, 1, '!option debug'],
  ['a sprite in angle brackets', '!$x = 1\nsprite $s </etc/passwd>', 2, 1, 'sprite'],
  ['\\enduml and \\startuml (PlantUML reads \\ as @)', 'Alice -> Bob\n\\enduml\n\\startuml\nBob -> Alice', 2, 1, '\\enduml'],
  ['@pause (changes how PlantUML reads later lines)', 'Alice -> Bob\n@pause\nBob -> Alice', 2, 1, '@pause'],
  ['a @start behind a prefix in a framed source', "@startuml\nAlice -> Bob\n  **@startuml\n@enduml", 3, 5, '@start'],
  ['an unpaired comment marker', "Alice -> Bob : a /' b\n!$x = 1", 1, 18, "comment marker /' or '/"],
  ['an unpaired closing comment marker', "Alice -> Bob : a '/ b", 1, 18, "comment marker /' or '/"],
];

/** Forms whose hostile part the screen removes as a comment: PlantUML gets empty lines instead. */
const NEUTRALISED: Array<[string, string]> = [
  ["a quote prefix that PlantUML strips from later lines ('@startuml)", "'@startuml\n'!include /etc/passwd\nAlice -> Bob"],
  ["a backslash start behind a quote ('\\startuml)", "'\\startuml\n'!include /etc/passwd\nAlice -> Bob"],
  ['the text after a block comment closes', "/' open\nclose '/ !include /etc/passwd\nAlice -> Bob"],
  ['a quote comment after an inline comment', "/' a '/ ' !include /etc/passwd\nAlice -> Bob"],
];

/** What the old screen refused must stay refused. */
const STILL_REFUSED: Array<[string, string, number, string]> = [
  ['!include of a file', '@startuml\n!include /etc/passwd\nAlice -> Bob\n@enduml', 2, '!include'],
  ['!include_many', 'Alice -> Bob\n!include_many /etc/passwd', 2, '!include_many'],
  ['!includeurl', '!includeurl http://127.0.0.1:9/evil.puml\nAlice -> Bob', 1, '!includeurl'],
  ['!includesub', '  !includesub /etc/passwd!PART', 1, '!includesub'],
  ['!includedef', '!includedef /etc/passwd', 1, '!includedef'],
  ['a standard-library path that climbs out', '!include <../../../etc/passwd>', 1, '!include'],
  ['an include split over two lines', 'Alice -> Bob\n!inc\\\nlude /etc/passwd', 2, '!include'],
  ['an include whose path is on the continued line', '!include \\\n    /etc/passwd', 1, '!include'],
  ['!import', '!import /tmp/evil.jar\nAlice -> Bob', 1, '!import'],
  ['%getenv', 'Alice -> Bob: %getenv("HOME")', 1, '%getenv'],
  ['%GETENV', 'Alice -> Bob: %GETENV("HOME")', 1, '%getenv'],
  ['%load_json', '!$data = %load_json("/etc/passwd")\nAlice -> Bob', 1, '%load_json'],
  ['%file_exists', 'Alice -> Bob: %file_exists("/etc/passwd")', 1, '%file_exists'],
  ['%call_user_func', 'Alice -> Bob: %call_user_func("%getenv", "HOME")', 1, '%call_user_func'],
  ['%eval', 'Alice -> Bob: %eval("1")', 1, '%eval'],
  ['an image from a file', 'Alice -> Bob: <img:file:///etc/passwd>', 1, '<img>'],
  ['an image split over two lines', 'Alice -> Bob : <im\\\ng:/etc/passwd>', 1, '<img>'],
  ['a sprite from a file', 'sprite $logo /etc/passwd\nAlice -> Bob: <$logo>', 1, 'sprite'],
  ['!pragma graphviz_dot', '!pragma graphviz_dot /bin/sh\nclass A', 1, '!pragma graphviz_dot'],
  ['an @enduml inside a bare source', 'Alice -> Bob\n@enduml\nBob -> Alice', 2, 'one diagram'],
  ['a pipe command', 'Alice -> Bob\n@@@format png', 2, '@@@'],
];

/** Everyday sources pass, and reach PlantUML as written (comments aside). */
const ALLOWED: Array<[string, string]> = [
  ['quote comments', "' a comment with !include /etc/passwd in it\nAlice -> Bob"],
  ['a block comment over lines', "/'\n  !include /etc/passwd\n  %getenv(\"HOME\")\n'/\nAlice -> Bob"],
  ['a one-line block comment', "/' a note to self '/\nAlice -> Bob"],
  ['apostrophes in labels', "Alice -> Bob : it's Bob's turn"],
  ['the standard library', '!include <C4/C4_Container>\nPerson(user, "Customer")'],
  ['include_once from the standard library', '!include_once <archimate/Archimate>'],
  ['a bundled theme', '!theme cerulean\nAlice -> Bob'],
  ['a bundled skin', 'skin rose\nAlice -> Bob'],
  ['an inline style sheet', '<style>\narrow { LineColor red }\n</style>\nAlice -> Bob'],
  ['layout pragmas', '!pragma layout smetana\n!pragma teoz true\nAlice -> Bob'],
  ['presentational options', '!option handwritten true\nAlice -> Bob'],
  ['inline sprites', 'sprite $dot [4x4/16] {\nFFFF\nF00F\nF00F\nFFFF\n}\nsprite $box <svg viewBox="0 0 4 4"><rect width="4" height="4"/></svg>\nAlice -> Bob : <$dot>'],
  ['preprocessor functions and loops', '!function $twice($x)\n!return $x + $x\n!endfunction\n!$i = 0\n!while $i < 2\nA$i -> B : $twice($i)\n!$i = $i + 1\n!endwhile'],
  ['harmless built-ins', 'Alice -> Bob : %upper("hi") %strlen("abc") %date("yyyy")'],
  ['a legacy !define', '!define SERVICE(x) component x\nSERVICE(Api)'],
  ['class colours with ##', 'class Foo ##[dashed]blue'],
  ['a continued label', 'Alice -> Bob : first part \\\nsecond part'],
  ['a start line with a file name', '@startuml diagram.svg\nAlice -> Bob\n@enduml'],
];

describe('framePlantumlSource: the screen reads what PlantUML reads', () => {
  it.each(REFUSED)('refuses %s, with its line and column', (_name, source, line, column, what) => {
    expect(refusal(source)).toEqual({ code: 'parse_failed', line, column, message: expect.stringContaining(what) });
  });

  it.each(NEUTRALISED)('sends %s as empty lines', (_name, source) => {
    const text = sent(source);
    expect(text).not.toMatch(/passwd|include|@start(?!uml\n)/);
    expect(text.split('\n')).toHaveLength(source.split('\n').length + THEME.length + 3);
  });

  it.each(STILL_REFUSED)('still refuses %s', (_name, source, line, what) => {
    expect(refusal(source)).toMatchObject({ code: 'parse_failed', line, message: expect.stringContaining(what) });
  });

  it.each(ALLOWED)('lets %s through', (_name, source) => {
    const text = sent(source);
    expect(text.startsWith(`@startuml\n${THEME[0]}\n`)).toBe(true);
    expect(text).not.toMatch(/\/'|'\//);
  });

  it('sends comment lines empty, so PlantUML reports the user’s line numbers', () => {
    const framed = framePlantumlSource("' one\n/' two\nthree '/\nAlice -> Bob\nnot plantuml", THEME);
    if (!framed.ok) throw new Error(framed.error.message);
    expect(framed.value.text).toBe(`@startuml\n${THEME[0]}\n\n\n\nAlice -> Bob\nnot plantuml\n@enduml\n`);
    // PlantUML counts from 0 at the @start line: our line 5 is its line 1 + preamble + 4.
    expect(framed.value.userLine(1 + THEME.length + 4)).toBe(5);
  });

  it('writes the @start line itself, without anything the user put after the kind', () => {
    expect(sent('@startuml(id=X) /tmp/out.svg\nAlice -> Bob\n@enduml').split('\n')[0]).toBe('@startuml');
    expect(sent('@startMindMap\n* root\n@endmindmap').split('\n')[0]).toBe('@startmindmap');
  });
});
