// A real Kroki client for compat.e2e-spec.ts: remark with the remark-kroki plugin, as Docusaurus
// and other remark pipelines run it, in a process of its own (remark is ESM only). Reads
// {markdown, server, alias} as JSON on stdin, prints the Markdown with every diagram block
// replaced by an image of the SVG the server answered (a data: URL).
import { remark } from 'remark';
import { remarkKroki } from 'remark-kroki';

let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', async () => {
  const { markdown, server, alias } = JSON.parse(input);
  const file = await remark().use(remarkKroki, { server, alias }).process(markdown);
  process.stdout.write(String(file));
});
