import { rasterStyleSheets } from './raster-css';

const doc = (css: string, body = '<g class="node default" id="n1" data-look="classic"><rect width="4" height="4"/><text>A</text></g>') =>
  `<svg xmlns="http://www.w3.org/2000/svg" id="fs1"><style>${css}</style>${body}</svg>`;
const styleOf = (svg: string) => /<style>([\s\S]*?)<\/style>/.exec(svg)?.[1];
const pruned = (css: string, body?: string) => styleOf(rasterStyleSheets(doc(css, body)));

describe('rasterStyleSheets', () => {
  it('drops rules that need a class, tag, id or attribute value the document does not have', () => {
    expect(pruned('#fs1 .cluster rect{fill:red}#fs1 .node rect{fill:blue}')).toBe('#fs1 .node rect{fill:blue}');
    expect(pruned('#fs1 circle{fill:red}#fs1 text{fill:blue}')).toBe('#fs1 text{fill:blue}');
    expect(pruned('#other .node{fill:red}#fs1 .node{fill:blue}')).toBe('#fs1 .node{fill:blue}');
    expect(pruned('#fs1 [data-look="neo"].node rect{fill:red}#fs1 [data-look="classic"].node rect{fill:blue}')).toBe('#fs1 [data-look="classic"].node rect{fill:blue}');
    expect(pruned('[data-missing]{fill:red}[data-look]{fill:blue}')).toBe('[data-look]{fill:blue}');
    expect(pruned('#fs1 .node.cross{fill:red}#fs1 .node.default{fill:blue}')).toBe('#fs1 .node.default{fill:blue}');
    expect(pruned('g > .cluster{fill:red}g > rect{fill:blue}')).toBe('g > rect{fill:blue}');
  });

  it('keeps the selectors of a list that may match, in order, and the rule with them', () => {
    expect(pruned('#fs1 .node rect,#fs1 .node circle,#fs1 .node text{fill:red}')).toBe('#fs1 .node rect,#fs1 .node text{fill:red}');
    expect(pruned('.a,.b{fill:red}')).toBe('');
  });

  it('keeps whatever it does not fully understand', () => {
    for (const css of [
      '@keyframes dash{to{stroke-dashoffset:0;}}',
      '@media print{.cluster{fill:red}}',
      '.cluster:hover{fill:red}',
      '.node :not(.cluster){fill:red}',
      '[class~="cluster"]{fill:red}',
      '[data-look^="ne"]{fill:red}',
      'svg|rect{fill:red}',
      '.cl\\75ster{fill:red}',
      '--custom .x{fill:red}',
    ]) {
      expect(pruned(css)).toBe(css);
    }
    // A comment, an escape or CDATA anywhere: the sheet stays whole.
    for (const css of ['/* c */.cluster{fill:red}', '.cluster{content:"\\41"}', '<![CDATA[.cluster{fill:red}]]>']) expect(pruned(css)).toBe(css);
  });

  it('never turns an invalid rule valid by dropping the selector that made it invalid', () => {
    // CSS ignores a whole rule when one of its selectors is invalid; these stay as they are.
    for (const css of ['rect*,.node{fill:red}', 'circle >> .x,.node{fill:red}', '#1abc,.node{fill:red}', '> .cluster,.node{fill:red}', '.cluster >,.node{fill:red}', '.cluster,,.node{fill:red}']) {
      expect(pruned(css)).toBe(css);
    }
  });

  it('counts names over every element, and does not trust values it cannot read', () => {
    // Classes and ids spread over different elements still count (the check is per document).
    expect(pruned('.a .b{fill:red}', '<g class="a"/><g class="b"/>')).toBe('.a .b{fill:red}');
    // A character reference in a class may decode to anything: keep.
    expect(pruned('.cluster{fill:red}', '<g class="clu&#115;ter"/>')).toBe('.cluster{fill:red}');
    // A prefixed element may match its local name.
    expect(pruned('rect{fill:red}', '<svg:rect/>')).toBe('rect{fill:red}');
    // A quoted ">" inside an attribute value does not end the tag early.
    expect(pruned('.after{fill:red}', '<g data-x="a>b" class="after"/>')).toBe('.after{fill:red}');
    // Text that reads like an attribute is not one, and no class of the document is lost to it.
    expect(pruned('.real{fill:red}.fake{fill:blue}', '<text>class="fake"</text><g class="real"/>')).toBe('.real{fill:red}');
  });

  it('returns an SVG without a style sheet as it is, and prunes each sheet of one that has several', () => {
    const plain = '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>';
    expect(rasterStyleSheets(plain)).toBe(plain);
    const two = '<svg><style>.a{fill:red}.gone{fill:red}</style><g class="a"/><style type="text/css">.gone{x:y}rect{x:y}</style><rect/></svg>';
    expect(rasterStyleSheets(two)).toBe('<svg><style>.a{fill:red}</style><g class="a"/><style type="text/css">rect{x:y}</style><rect/></svg>');
  });
});
