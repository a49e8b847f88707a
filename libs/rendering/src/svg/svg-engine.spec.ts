import { XMLValidator } from 'fast-xml-parser';
import { THEME_DEFINITIONS } from '../themes';
import { isSafeSvg } from './finish-svg';
import { SvgEngine, darkPlate, isLightDrawing, svgSize } from './svg-engine';
import { HOSTILE_SVG } from '../../test/corpus/svg/hostile';

const engine = new SvgEngine();
const light = THEME_DEFINITIONS.light;
const dark = THEME_DEFINITIONS.dark;
const drawing = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect x="10" y="10" width="80" height="40" fill="#dbeafe" stroke="#1e3a8a"/><text x="20" y="35">Checkout</text></svg>';

async function rendered(source: string, theme = light) {
  const result = await engine.render(source, theme);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('SvgEngine', () => {
  it('keeps the drawing, its text and its size, as well-formed XML', async () => {
    const out = await rendered(drawing);
    expect(out.viewBox).toEqual([0, 0, 200, 100]);
    expect(out.svg).toContain('Checkout');
    expect(XMLValidator.validate(out.svg)).toBe(true);
    expect(out.diagramType).toBe('svg');
  });

  it.each(HOSTILE_SVG)('$name: output is safe, or the source is refused with a clear error', async ({ source, refused, harmlessText }) => {
    const result = await engine.render(source, light);
    if (refused) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatchObject({ code: 'parse_failed', message: expect.stringMatching(refused) });
      return;
    }
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(isSafeSvg(result.value.svg)).toBe(true);
    if (harmlessText) expect(result.value.svg).toContain('&lt;script&gt;');
    else expect(result.value.svg).not.toMatch(/alert|evil\.example|passwd/i);
    expect(XMLValidator.validate(result.value.svg)).toBe(true);
  });

  it('keeps a picture embedded in the file, and drops one from elsewhere', async () => {
    const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const out = await rendered(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><image href="${png}" width="10" height="10"/><image href="https://evil.example/x.png" width="5" height="5"/></svg>`);
    expect(out.svg.match(/<image/g)).toHaveLength(1);
    expect(out.svg).toContain('data:image/png;base64');
    expect(isSafeSvg(out.svg)).toBe(true);
  });

  it.each([
    ['width and height in px', { width: '300px', height: '150' }, [300, 150]],
    ['only a viewBox', { viewBox: '0 0 640 480' }, [640, 480]],
    ['width, viewBox for the aspect', { width: '320', viewBox: '0 0 640 480' }, [320, 240]],
    ['physical units', { width: '10mm', height: '1in' }, [37.8, 96]],
  ])('sizes a drawing from %s', (_name, root, [width, height]) => {
    const size = svgSize(root);
    expect(size.width).toBeCloseTo(width, 1);
    expect(size.height).toBeCloseTo(height, 1);
  });

  it('refuses a drawing with no size, or one too large for any output, with a clear message', async () => {
    expect(await engine.parse('<svg xmlns="http://www.w3.org/2000/svg"><rect width="5" height="5"/></svg>')).toMatchObject({ ok: false, error: { code: 'parse_failed', message: expect.stringContaining('no size') } });
    expect(await engine.parse('<svg xmlns="http://www.w3.org/2000/svg" width="90000" height="10"/>')).toMatchObject({ ok: false, error: { message: expect.stringContaining('at most') } });
  });

  it('reports malformed XML with its line and column', async () => {
    const result = await engine.parse('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">\n  <rect width="5" height="5">\n</svg>');
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 3, column: expect.any(Number), message: expect.stringContaining('line 3') } });
  });

  it('refuses a document that is not an SVG', async () => {
    expect(await engine.parse('<html><body>hi</body></html>')).toMatchObject({ ok: false, error: { message: expect.stringContaining('root element is <html>') } });
    expect(await engine.parse('just text')).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
  });

  it('inverts a drawing made for paper on a dark theme, and leaves a dark drawing alone', async () => {
    expect((await rendered(drawing, dark)).svg).toContain('filter="url(#flowsmith-invert)"');
    expect((await rendered(drawing, light)).svg).not.toContain('flowsmith-invert');
    const night = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50"><rect width="100" height="50" fill="#111827"/><text x="5" y="20" fill="#f9fafb">Night</text></svg>';
    expect(isLightDrawing(night, [0, 0, 100, 50])).toBe(false);
    expect((await rendered(night, dark)).svg).not.toContain('flowsmith-invert');
  });

  it('lays a drawing on a near-black plate where the dark canvas is too light for it (blueprint), inverted or not, and only there', async () => {
    const blueprint = THEME_DEFINITIONS.blueprint;
    const plate = darkPlate(blueprint)!;
    expect(plate).toMatch(/^#[0-9a-f]{6}$/);
    for (const theme of [light, dark, THEME_DEFINITIONS.midnight]) expect([theme.id, darkPlate(theme)]).toEqual([theme.id, null]);
    expect((await rendered(drawing, dark)).svg).not.toContain('flowsmith-plate');
    const night = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><text x="5" y="20" fill="#f9fafb">Night</text></svg>';
    for (const source of [drawing, night]) {
      const out = (await rendered(source, blueprint)).svg;
      // The plate covers the drawing and lies under it, outside the inversion.
      expect(out).toMatch(new RegExp(`^<svg[^>]*>(<defs>.*?</defs>)?<rect class="flowsmith-plate" x="0" y="0" width="\\d+" height="\\d+" fill="${plate}"/><(g filter|svg)`));
      expect(isSafeSvg(out)).toBe(true);
      expect(XMLValidator.validate(out)).toBe(true);
    }
  });

  it('optimises: editor metadata and comments go, the drawing stays', async () => {
    const inkscape =
      '<?xml version="1.0"?><!-- made by hand --><svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" width="50" height="50" inkscape:version="1.3">' +
      '<sodipodi:namedview id="base" pagecolor="#ffffff"/><metadata><rdf>x</rdf></metadata><g inkscape:label="Layer 1"><circle cx="25" cy="25" r="20" fill="#ff0000"/></g></svg>';
    const out = await rendered(inkscape);
    expect(out.svg).not.toMatch(/inkscape|sodipodi|metadata|made by hand/);
    expect(out.svg).toMatch(/<circle|<path/);
  });
});
