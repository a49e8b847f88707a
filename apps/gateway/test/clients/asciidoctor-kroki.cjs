// A real Kroki client for compat.e2e-spec.ts: Asciidoctor.js with the asciidoctor-kroki extension,
// run as its users run it, in a process of its own (Opal's runtime does not load inside Jest's
// module sandbox). Reads {document, attributes} as JSON on stdin, prints the HTML.
const asciidoctor = require('@asciidoctor/core')();
const kroki = require('asciidoctor-kroki');

let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const { document, attributes } = JSON.parse(input);
  const registry = asciidoctor.Extensions.create();
  kroki.register(registry);
  process.stdout.write(asciidoctor.convert(document, { safe: 'safe', extension_registry: registry, attributes }));
});
