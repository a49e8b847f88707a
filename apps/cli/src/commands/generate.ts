import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliContext, CliUsageError, oneOf, OptionSpec, stringOption } from '../context';

export const GENERATE_OPTIONS: OptionSpec = {
  hint: { type: 'string' },
  theme: { type: 'string' },
  format: { type: 'string', default: 'png' },
  output: { type: 'string', short: 'o' },
  name: { type: 'string' },
};

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A prompt in, a saved diagram and its image out: polls the Generation as the server asks. */
export async function runGenerate(context: CliContext): Promise<number> {
  const prompt = context.positionals.join(' ').trim();
  if (!prompt) throw new CliUsageError('Give a prompt: flowsmith generate "how a refund is approved"');
  const format = oneOf('format', stringOption(context, 'format'), ['svg', 'png'] as const) ?? 'png';
  const hint = oneOf('hint', stringOption(context, 'hint'), ['flowchart', 'sequence', 'state', 'class', 'er'] as const);
  const theme = stringOption(context, 'theme');
  const created = await context.client.generations.create({ prompt, hint, theme: theme as never, format, name: stringOption(context, 'name') });
  const spin = !context.json && process.stderr.isTTY && !process.env.CI;
  let frame = 0;
  const timer = spin ? setInterval(() => process.stderr.write(`\r${SPINNER[frame++ % SPINNER.length]} generating ${created.id}…`), 80) : undefined;
  let generation;
  try {
    generation = await context.client.generations.wait(created.id, { timeoutMs: 180_000 });
  } finally {
    if (timer) {
      clearInterval(timer);
      process.stderr.write('\r\x1b[2K');
    }
  }
  if (generation.status !== 'succeeded' || !generation.diagram) {
    context.print(generation, `✗ generation ${generation.id} failed: ${generation.error?.message ?? generation.status}`);
    return 1;
  }
  const diagram = generation.diagram;
  const image = await context.client.diagrams.image(diagram.id, { theme: generation.theme, format });
  const slug = diagram.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'diagram';
  const target = resolve(stringOption(context, 'output') ?? `${slug}.${format}`);
  await writeFile(target, image.data);
  context.print({ generation, image: target }, `✓ diagram ${diagram.id} (${diagram.diagram_type}) → ${target}\n\n${diagram.source}`);
  return 0;
}
