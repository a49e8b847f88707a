import { isSafeSvg } from '../svg/finish-svg';
import { isPlainPlantumlSvg } from './plantuml-svg';

const PLAIN =
  '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" contentStyleType="text/css" data-diagram-type="SEQUENCE" height="120px" ' +
  'preserveAspectRatio="none" style="width:200px;height:120px;background:#FFFFFF;" version="1.1" viewBox="0 0 200 120" width="200px" zoomAndPan="magnify">' +
  '<defs><filter id="f1" height="300%" width="300%" x="-1" y="-1"><feGaussianBlur result="blurOut" stdDeviation="2"/><feOffset dx="4" dy="4" in="blurOut" result="b"/></filter></defs>' +
  '<g><title>Alice</title><rect fill="#E2E2F0" filter="url(#f1)" height="30" rx="2.5" style="stroke:#181818;stroke-width:0.5;" width="50" x="5" y="5"/>' +
  '<text fill="#000000" font-family="sans-serif" font-size="14" x="12" y="25">Alice &amp; Bob &lt;3 &gt; x</text>' +
  '<image height="16" width="16" x="0" y="0" xlink:href="data:image/png;base64,iVBORw0KGgo="/>' +
  '<path d="M0 0 L10 10" fill="none" style="stroke:#181818;"/><use xlink:href="#f1"/></g></svg>';

/** Each could run or fetch something in a browser; none may skip the sanitizer. */
const NOT_PLAIN: Array<[string, string]> = [
  ['an event handler', PLAIN.replace('<rect ', '<rect onload="alert(1)" ')],
  ['an event handler in upper case', PLAIN.replace('<rect ', '<rect ONCLICK="alert(1)" ')],
  ['a script element', PLAIN.replace('<g>', '<g><script>alert(1)</script>')],
  ['a style element', PLAIN.replace('<g>', '<g><style>@import url(http://x/)</style>')],
  ['a foreignObject', PLAIN.replace('<g>', '<g><foreignObject width="1" height="1"></foreignObject>')],
  ['a link left as <a>', PLAIN.replace('<g>', '<g><a href="https://example.com/">').replace('</g></svg>', '</a></g></svg>')],
  ['an image from a URL', PLAIN.replace('data:image/png;base64,iVBORw0KGgo=', 'http://127.0.0.1:9/x.png')],
  ['an svg image in data:', PLAIN.replace('data:image/png', 'data:image/svg+xml')],
  ['a use of another document', PLAIN.replace('xlink:href="#f1"', 'xlink:href="other.svg#x"')],
  ['a javascript: URL', PLAIN.replace('fill="none"', 'fill="javascript:alert(1)"')],
  ['a CSS url() outside the document', PLAIN.replace('stroke:#181818;"/>', 'stroke:#181818;background:url(http://x/)"/>')],
  ['an encoded url(', PLAIN.replace('fill="none"', 'style="background:u&#114;l(http://x/)"')],
  ['an encoded javascript:', PLAIN.replace('xlink:href="#f1"', 'xlink:href="&#106;avascript:alert(1)"')],
  ['an unquoted attribute', PLAIN.replace('<rect ', '<rect x=5 ')],
  ['a > inside a tag that hides a handler', PLAIN.replace('<path ', '<path d="M0>0" onmouseover="x()" ')],
  ['a CDATA section', PLAIN.replace('Alice &amp;', '<![CDATA[<script>x()</script>]]>')],
  ['a comment', PLAIN.replace('<g>', '<g><!-- x -->')],
  ['a processing instruction', PLAIN.replace('<g>', '<g><?xml-stylesheet href="http://x/"?>')],
  ['an entity declaration', `<!DOCTYPE svg [<!ENTITY a "b">]>${PLAIN}`],
  ['a stray <', PLAIN.replace('Alice &amp;', 'Alice < onload=x() &amp;')],
];

describe('isPlainPlantumlSvg', () => {
  it("passes PlantUML's own drawing, which is safe as is", () => {
    expect(isPlainPlantumlSvg(PLAIN)).toBe(true);
    expect(isSafeSvg(PLAIN)).toBe(true);
  });

  it.each(NOT_PLAIN)('sends an SVG with %s to the sanitizer', (_name, svg) => {
    expect(svg).not.toBe(PLAIN);
    expect(isPlainPlantumlSvg(svg)).toBe(false);
  });
});
