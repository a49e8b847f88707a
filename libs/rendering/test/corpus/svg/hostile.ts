/**
 * Known SVG XSS and exfiltration payloads (from the usual cheat sheets: OWASP, PortSwigger, the
 * DOMPurify test suite), each wrapped as a whole SVG source. Either the source is refused with a
 * parse_failed whose message matches `refused`, or the output must be safe and keep none of it.
 */
const NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100"';
const svg = (body: string, attributes = '') => `<svg ${NS}${attributes}>${body}<text x="5" y="50">ok</text></svg>`;

export const HOSTILE_SVG: Array<{ name: string; source: string; refused?: RegExp; harmlessText?: boolean }> = [
  { name: 'onload on the root', source: svg('', ' onload="alert(1)"') },
  { name: 'script element', source: svg('<script>alert(1)</script>') },
  { name: 'namespaced script', source: svg('<svg:script xmlns:svg="http://www.w3.org/2000/svg">alert(1)</svg:script>') },
  { name: 'script from a data URL', source: svg('<script xlink:href="data:,alert(1)"/>') },
  { name: 'javascript: link', source: svg('<a xlink:href="javascript:alert(1)"><rect width="10" height="10"/></a>') },
  { name: 'data:text/html link', source: svg('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="><circle r="5"/></a>') },
  { name: 'event handlers on shapes', source: svg('<rect width="10" height="10" onclick="alert(1)" onmouseover="alert(1)" ONERROR="alert(1)"/>') },
  { name: 'foreignObject with HTML', source: svg('<foreignObject width="100" height="100"><body xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(1)"/><iframe src="javascript:alert(1)"/></body></foreignObject>') },
  { name: 'iframe, embed and object', source: svg('<iframe src="https://evil.example"/><embed src="https://evil.example/x.swf"/><object data="https://evil.example/x"/>') },
  { name: 'external image', source: svg('<image href="https://evil.example/track.png" width="10" height="10"/>') },
  { name: 'file image', source: svg('<image xlink:href="file:///etc/passwd" width="10" height="10"/>') },
  { name: 'svg image', source: svg('<image href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+" width="10" height="10"/>') },
  { name: 'external use', source: svg('<use href="https://evil.example/sprite.svg#icon"/>') },
  { name: 'animate rewriting an href', source: svg('<a><animate attributeName="href" values="javascript:alert(1)"/><text>x</text></a>') },
  { name: 'set of an event handler', source: svg('<set attributeName="onmouseover" to="alert(1)"/>') },
  { name: 'feImage from elsewhere', source: svg('<filter id="f"><feImage href="https://evil.example/x.png"/></filter><rect width="9" height="9" filter="url(#f)"/>') },
  { name: 'CSS import and external url()', source: svg('<style>@import url(https://evil.example/x.css); rect { fill: url(https://evil.example/p.png) }</style><rect width="9" height="9"/>') },
  { name: 'CSS in CDATA', source: svg('<style><![CDATA[ @import "https://evil.example/x.css"; circle { background: url("https://evil.example/y") } ]]></style><circle r="4"/>') },
  { name: 'style attribute with url()', source: svg('<rect width="9" height="9" style="fill: url(https://evil.example/z); behavior: url(x.htc)"/>') },
  { name: 'presentation attribute with url()', source: svg('<rect width="9" height="9" fill="url(https://evil.example/pattern.svg#p)"/>') },
  { name: 'handler and listener elements', source: svg('<handler xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="load">alert(1)</handler><listener event="click" handler="#h"/>') },
  { name: 'escaped markup in text stays text', source: svg('<text x="1" y="10">&lt;script&gt;alert(1)&lt;/script&gt;</text>'), harmlessText: true },
  { name: 'XXE', source: `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${svg('<text>&xxe;</text>')}`, refused: /entities/ },
  { name: 'billion laughs', source: `<!DOCTYPE svg [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>${svg('<text>&d;</text>')}`, refused: /entities/ },
  { name: 'an HTML document', source: '<html><script>alert(1)</script></html>', refused: /not an SVG document/ },
];
