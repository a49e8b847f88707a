import { rasterStyleSheets, rasterTextFixes } from './raster-css';

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

describe('rasterTextFixes', () => {
  it('collapses white space in text as Chromium does, across tspans, and keeps a tspan that begins with a space', () => {
    expect(rasterTextFixes('<svg xml:space="preserve"><text x="0">  First   customer </text></svg>')).toBe('<svg xml:space="preserve"><text x="0">First customer</text></svg>');
    expect(rasterTextFixes('<svg><text><tspan>Customer</tspan><tspan> signs</tspan>\n    <tspan> up </tspan></text></svg>')).toBe('<svg><text><tspan>Customer</tspan><tspan> signs</tspan> <tspan>up</tspan></text></svg>');
  });

  it('turns baselines into baseline-shift on the text, from attributes, style attributes and style sheets', () => {
    expect(rasterTextFixes('<svg><text x="1" dominant-baseline="middle" alignment-baseline="middle">A</text></svg>')).toBe('<svg><text x="1" baseline-shift="-0.25em">A</text></svg>');
    expect(rasterTextFixes('<svg><text alignment-baseline="central"><tspan dominant-baseline="central">A</tspan></text></svg>')).toBe('<svg><text baseline-shift="-0.36em"><tspan>A</tspan></text></svg>');
    expect(rasterTextFixes('<svg><text style="fill:red;dominant-baseline: hanging;">A</text></svg>')).toBe('<svg><text style="fill:red;" baseline-shift="-0.85em">A</text></svg>');
    expect(rasterTextFixes('<svg><style>.t{fill:red;dominant-baseline:middle;}</style><text class="t">A</text></svg>')).toBe('<svg><style>.t{fill:red;baseline-shift:-0.25em;}</style><text class="t">A</text></svg>');
    // auto and alphabetic stay on the baseline: the attributes go, nothing is added.
    expect(rasterTextFixes('<svg><text dominant-baseline="auto">A</text></svg>')).toBe('<svg><text>A</text></svg>');
  });

  it('drops the outer of two dy that move the same first character', () => {
    expect(rasterTextFixes('<svg><text dy="1em" x="0"><tspan x="0" dy="1em">2019</tspan></text></svg>')).toBe('<svg><text x="0"><tspan x="0" dy="1em">2019</tspan></text></svg>');
    expect(rasterTextFixes('<svg><text dy="1em">A<tspan dy="1em">B</tspan></text></svg>')).toBe('<svg><text dy="1em">A<tspan dy="1em">B</tspan></text></svg>');
  });

  it('applies a class rule transform about the element origin as its attribute, and leaves what it cannot read', () => {
    const milestone = '<svg><style>#d .milestone{transform:rotate(45deg) scale(0.8,0.8);}</style><rect x="698" transform-origin="709px 191px" class="task milestone"/></svg>';
    expect(rasterTextFixes(milestone)).toBe('<svg><style>#d .milestone{}</style><rect x="698" class="task milestone" transform="translate(709 191) rotate(45) scale(0.8 0.8) translate(-709 -191)"/></svg>');
    const matrix = '<svg><style>.m{transform:matrix(1,0,0,1,0,0)}</style><rect class="m"/></svg>';
    expect(rasterTextFixes(matrix)).toBe(matrix);
  });

  it('sizes ex as Chromium does (the x-height of Noto Sans)', () => {
    expect(rasterTextFixes('<svg><text font-size="4ex">T</text></svg>')).toBe('<svg><text font-size="2.144em">T</text></svg>');
  });

  it('stays linear on a tag it cannot close', () => {
    const long = `<svg><text ${'a'.repeat(20_000)}`;
    const started = Date.now();
    rasterTextFixes(long + ' dy="1"');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
