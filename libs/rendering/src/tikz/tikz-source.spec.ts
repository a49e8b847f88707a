import { THEME_DEFINITIONS } from '../themes';
import { blankComments, DEFAULT_BORDER, frameTikzSource, legibleStrokes, MIN_LINE_WIDTH_PT, parseBorder, tikzPrelude } from './tikz-source';

const LIGHT = THEME_DEFINITIONS.light;
const PICTURE = '\\begin{tikzpicture}\n  \\draw (0,0) -- (1,1);\n\\end{tikzpicture}';

function framed(source: string, theme = LIGHT) {
  const result = frameTikzSource(source, theme);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

function refusal(source: string) {
  const result = frameTikzSource(source, LIGHT);
  if (result.ok) throw new Error('expected a refusal');
  return result.error;
}

describe('frameTikzSource', () => {
  it('wraps a bare picture in the standalone class with TikZ, keeping its lines', () => {
    const document = framed(`\\usetikzlibrary{positioning}\n${PICTURE}`);
    const lines = document.text.split('\n');
    expect(lines[0]).toMatch(/^\\makeatletter.*\\documentclass\{standalone\}\\usepackage\{tikz\}\\begin\{document\}\\usetikzlibrary\{positioning\}$/);
    expect(lines[2]).toBe('  \\draw (0,0) -- (1,1);');
    expect(lines.at(-2)).toBe('\\end{document}');
    expect(document).toMatchObject({ diagramType: 'tikzpicture', lines: 4, border: DEFAULT_BORDER });
  });

  it("moves a bare picture's \\usepackage lines to the preamble, blank where they were", () => {
    const document = framed(`\\usepackage{pgfplots}\n\\begin{tikzpicture}\\begin{axis}\\addplot {x};\\end{axis}\\end{tikzpicture}`);
    const lines = document.text.split('\n');
    expect(lines[0]).toContain('\\usepackage{tikz}\\usepackage{pgfplots}\\begin{document}');
    expect(lines[0]).toMatch(/\\begin\{document\} +$/);
    expect(document.diagramType).toBe('pgfplots');
  });

  it('loads what a bare picture needs for its environments', () => {
    expect(framed('\\begin{tikzpicture}\\begin{axis}\\addplot {x};\\end{axis}\\end{tikzpicture}').text).toContain('\\usepackage{pgfplots}\\pgfplotsset{compat=1.18}');
    expect(framed('\\begin{tikzcd}A \\arrow[r] & B\\end{tikzcd}')).toMatchObject({ diagramType: 'tikz-cd', text: expect.stringContaining('\\usepackage{tikz-cd}') });
  });

  it('keeps a whole document as it is, after the one line of set-up, and reads its border', () => {
    const source = `\\documentclass[tikz, border={1pt 2pt 3pt 4pt}]{standalone}\n\\begin{document}\n${PICTURE}\n\\end{document}`;
    const document = framed(source);
    expect(document.text).toBe(`${tikzPrelude(LIGHT)}${source}\n`);
    expect(document.border).toEqual([1, 2, 3, 4]);
    expect(framed('\\documentclass{article}\n\\standaloneconfig{border=1cm}\\begin{document}x\\end{document}').border[0]).toBeCloseTo(28.45, 1);
  });

  it('normalizes CR LF line ends, so TeX counts lines as the source does', () => {
    expect(framed('\\begin{tikzpicture}\r\n\\draw (0,0) -- (1,1);\r\n\\end{tikzpicture}').text).not.toContain('\r');
  });

  it('sets the theme: palette colours, default ink, and in dark themes paper colours translated', () => {
    const light = tikzPrelude(LIGHT);
    expect(light).toContain('\\definecolor{flowsmithtext}{HTML}{1F2937}');
    expect(light).toContain('every picture/.prefix style={color=flowsmithline,text=flowsmithtext}');
    expect(light).not.toContain('\\definecolor{white}');
    expect(light).not.toMatch(/[\n\r]/);
    const dark = tikzPrelude(THEME_DEFINITIONS.dark);
    expect(dark).toContain(`\\definecolor{white}{HTML}{${THEME_DEFINITIONS.dark.background.slice(1).toUpperCase()}}`);
    expect(dark).toContain('\\def\\XC@clr@rgb@white{');
    expect(dark).toMatch(/\\definecolor\{blue\}\{HTML\}\{(?!0000FF)[0-9A-F]{6}\}/);
  });

  describe('refuses, with the line, before TeX runs', () => {
    it.each([
      ['\\input of a file', 'x\n\\input{/etc/passwd}', 2, /\\input is not allowed: it reads files/],
      ['\\include', '\\include{secret}', 1, /reads files/],
      ['\\openin', 'x\n\\immediate\\openin5=/etc/hostname', 2, /\\openin is not allowed: it reads files/],
      ['\\write18', '\\immediate\\write18{id}', 1, /\\write is not allowed: it writes files/],
      ['\\directlua', '\\directlua{os.execute("id")}', 1, /runs programs/],
      ['\\special', '\\special{dvisvgm:raw <script>alert(1)</script>}', 1, /raw code to the SVG converter/],
      ['\\csname', '\\csname input\\endcsname{/etc/passwd}', 1, /builds command names/],
      ["LaTeX's \\UseName", '\\UseName{input}{/etc/passwd}', 1, /builds command names/],
      ["etoolbox's \\csuse", '\\csuse{input}{/etc/passwd}', 1, /builds command names/],
      ['\\catcode', '\\catcode`\\|=0 |input{/etc/passwd}', 1, /\\catcode is not allowed/],
      ['\\makeatletter', '\\makeatletter\\@@input /etc/passwd', 1, /\\makeatletter is not allowed/],
      ['\\ExplSyntaxOn', '\\ExplSyntaxOn\\file_input:n{/etc/passwd}', 1, /\\ExplSyntaxOn is not allowed/],
      ['\\scantokens', '\\scantokens{x}', 1, /changes how TeX reads/],
      ['^^ notation', '\\inp^^75t{/etc/passwd}', 1, /\^\^ character notation/],
      ['\\verb', '\\verb|%| \\input{x}', 1, /\\verb is not allowed/],
      ['a verbatim environment', '\\begin{filecontents}{x.tex}\nhi\n\\end{filecontents}', 1, /filecontents environment/],
      ['\\font', '\\font\\x=/etc/hostname', 1, /loads fonts/],
      ['\\includegraphics', '\\includegraphics{/etc/hostname}', 1, /reads files/],
      ['\\pgfimage', '\\pgfimage{x}', 1, /reads files/],
      ['\\pgfplotstableread', '\\pgfplotstableread{/etc/passwd}\\t', 1, /reads files/],
      ['a package outside the list', '\\usepackage{shellesc}', 1, /the package shellesc is not available/],
      ['a package by \\RequirePackage', 'x\n\\RequirePackage{catchfile}', 2, /the package catchfile is not available/],
      ['a package name that is not a name', '\\usepackage{\\x}', 1, /plain names/],
      ['\\usepackage aliased', '\\let\\up=\\usepackage{tikz}\n\\up{shellesc}', 1, /must begin a line/],
      ['the external library', '\\usetikzlibrary{positioning, external}', 1, /external library/],
      ['\\tikzexternalize', '\\tikzexternalize', 1, /externalizes/],
      ['another document class', '\\documentclass{beamer}\\begin{document}\\end{document}', 1, /class beamer/],
    ])('%s', (_name, source, line, message) => {
      expect(refusal(source)).toEqual({ code: 'parse_failed', line, column: expect.any(Number), message: expect.stringMatching(message) });
      expect(refusal(source).message).toMatch(new RegExp(`^TikZ \\(line ${line}\\): `));
    });

    it('reads commands in comments as comments', () => {
      expect(framed('% we never \\input anything\n\\begin{tikzpicture}\\node {100\\%}; % \\write18\n\\end{tikzpicture}').diagramType).toBe('tikzpicture');
    });

    it('refuses empty sources and documents without a body', () => {
      expect(refusal('  % nothing\n').message).toBe('TikZ: the source is empty.');
      expect(refusal('\\documentclass{article}\n').message).toMatch(/no \\begin\{document\}/);
      expect(refusal('\\begin{document}x\\end{document}').message).toMatch(/needs a \\documentclass/);
    });
  });
});

describe('blankComments', () => {
  it('blanks comments but not escaped percent signs, keeping every index', () => {
    const source = 'a\\% b % c\nd \\\\% e\n😀 % f😀';
    const blanked = blankComments(source);
    expect(blanked).toHaveLength(source.length);
    expect(blanked).toBe('a\\% b    \nd \\\\   \n😀      ');
  });
});

describe('parseBorder', () => {
  it('reads one, two or four lengths in TeX units', () => {
    expect(parseBorder('10pt')).toEqual([10, 10, 10, 10]);
    expect(parseBorder('{2pt 4pt}')).toEqual([2, 4, 2, 4]);
    expect(parseBorder('1in')?.[0]).toBeCloseTo(72.27);
    expect(parseBorder('lots')).toBeNull();
  });
});

describe('legibleStrokes', () => {
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a: string, b: string) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const strokeOf = (svg: string) => /stroke='(#[0-9a-f]+)'/.exec(svg)![1];

  it('deepens a pale stroke until it stands out 3:1 from the canvas, and keeps fills and dark strokes', () => {
    const light = legibleStrokes("<g stroke='#d9d9d9' fill='#d9ecec' stroke-width='0.8'><path d='M0 0L1 1'/></g>", '#ffffff');
    expect(contrast(strokeOf(light), '#ffffff')).toBeGreaterThanOrEqual(3);
    expect(light).toContain("fill='#d9ecec'");
    expect(light).toContain("stroke-width='0.8'");
    expect(legibleStrokes("<g stroke='#1f2937'><path d='M0 0L1 1'/></g>", '#ffffff')).toContain("stroke='#1f2937'");
    // On a dark canvas, towards white.
    const dark = legibleStrokes("<g stroke='#3a3b40'><path d='M0 0L1 1'/></g>", '#1e1f24');
    expect(contrast(strokeOf(dark), '#1e1f24')).toBeGreaterThanOrEqual(3);
    expect(luminance(strokeOf(dark))).toBeGreaterThan(luminance('#3a3b40'));
  });

  it('widens hairlines to a pixel', () => {
    expect(legibleStrokes("<g stroke='#000' stroke-width='0.4'><path d='M0 0L1 1'/></g>", '#ffffff')).toContain(`stroke-width='${MIN_LINE_WIDTH_PT}'`);
  });

  it("cuts a double line's canvas-coloured inner stroke out of the outer one instead of painting it", () => {
    const d = 'M10 0C10 5 5 10 0 10';
    const svg = `<g stroke='#5b6b7f' stroke-width='0.4'><g fill='#d9ecec' stroke-width='1.4'><path d='${d}'/><g stroke-width='0.6' stroke='#fff'><path d='${d}' fill='none'/></g></g></g>`;
    const out = legibleStrokes(svg, '#ffffff');
    expect(out).not.toContain("stroke='#fff'");
    expect(out).toContain(`<mask id="flowsmith-knockout-1"`);
    expect(out).toContain(`<path d="${d}" fill="none" stroke="#000" stroke-width="0.6"/></mask><path d="${d}" mask="url(#flowsmith-knockout-1)"/>`);
    expect(out).toContain("stroke-width='1.4'");
  });
});
