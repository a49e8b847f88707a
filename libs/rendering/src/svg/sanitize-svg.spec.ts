import { assertSafeSvg } from './finish-svg';
import { cleanCss, sanitizeSvg } from './sanitize-svg';

/** Regressions the XSS corpus of the new languages found (apps/gateway/test/xss-corpus/). */
describe('sanitizeSvg', () => {
  const svg = (body: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${body}</svg>`;

  it('removes image-set() and src() from CSS, which fetch without url()', () => {
    expect(cleanCss("rect { mask: image-set('https://evil.example/p.png' 1x); fill: red }")).toBe('rect { mask: none; fill: red }');
    expect(cleanCss('a{background:-webkit-image-set("x.png" 1x, "y.png" 2x)}')).toBe('a{background:none}');
    const cleaned = sanitizeSvg(svg('<style>*{mask:image-set(\'https://evil.example/p.png\' 1x)}</style><rect style="mask: src(https://evil.example/q)" width="5" height="5"/>'), { optimise: false }).svg;
    expect(cleaned).not.toContain('evil.example');
    expect(() => assertSafeSvg(cleaned)).not.toThrow();
  });

  it('reads script URLs as browsers do, with whitespace inside the scheme', () => {
    const cleaned = sanitizeSvg(svg('<rect class="java\tscript:alert(1)" font-family="java&#10;script:alert(2)" width="5" height="5"/>'), { optimise: false }).svg;
    expect(cleaned).not.toMatch(/script:/);
    expect(cleanCss('a{font-family:"java\\\nscript:alert(1)"}')).not.toMatch(/script:/);
  });

  it('keeps no data: URL that is not a picture in any attribute', () => {
    const cleaned = sanitizeSvg(svg('<g id="data:text/plain,hi" aria-label="data:image/svg+xml;base64,PHN2Zz4="><rect data-name="data:text/html,x" width="5" height="5"/></g>'), { optimise: false }).svg;
    expect(cleaned).not.toContain('data:');
    const picture = sanitizeSvg(svg('<image href="data:image/jpg;base64,AAAA" width="5" height="5"/>'), { optimise: false }).svg;
    expect(picture).toContain('data:image/jpg;base64,AAAA');
  });
});
