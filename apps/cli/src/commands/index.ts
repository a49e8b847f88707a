import { LANGUAGES, SOURCE_FORMATS, TEXT_LANGUAGES } from '@flowsmith/contracts';
import { CliContext, OptionSpec } from '../context';
import { EMBED_OPTIONS, runEmbed } from './embed';
import { GENERATE_OPTIONS, runGenerate } from './generate';
import { runMcp } from './mcp';
import { RENDER_OPTIONS, runRender } from './render';
import { DIAGRAM_OPTIONS, KEY_OPTIONS, runDiagrams, runKeys, runShare, runThemes, runUsage, SHARE_OPTIONS } from './resources';

interface Command {
  options: OptionSpec;
  run(context: CliContext): Promise<number>;
  usage: string;
  examples: string[];
}

export const COMMANDS: Record<string, Command> = {
  render: {
    options: RENDER_OPTIONS,
    run: runRender,
    usage: `render FILE|FOLDER|GLOB... [-o OUT] [--format svg|png|jpeg|webp|pdf|txt|utxt] [--theme T] [--scale 1|2|4] [--layout dagre|elk] [--look classic|neo|handDrawn] [--source-format F] [--concurrency N]\n  Renders files in parallel; the language comes from the file's ending (${SOURCE_FORMATS.flatMap((format) => LANGUAGES[format].extensions).join(' ')}). Without -o each image goes beside its source; -o DIR mirrors the sources' paths below the glob's fixed folders (docs/**/*.mmd -o out: docs/sub/a.mmd → out/sub/a.svg), a folder's own path, or a file's folder; -o FILE.png names the one image (and its format). Two sources bound for one image stop the run before anything renders (exit 2). SVG is never metered; PNG, JPEG, WebP, PDF and text (txt ASCII, utxt Unicode: ${TEXT_LANGUAGES.join(', ')}) spend an export.`,
    examples: ['flowsmith render diagram.mmd', "flowsmith render 'docs/**/*.mmd' -o build/diagrams --format png --theme dark", 'flowsmith render flow.mmd -o flow.pdf'],
  },
  embed: {
    options: EMBED_OPTIONS,
    run: runEmbed,
    usage: `embed FILE.md... [--check] [--prune] [--languages L,...] [--share] [--format svg|png] [--theme T]\n  Renders the diagram blocks of Markdown files (fences: ${SOURCE_FORMATS.flatMap((format) => LANGUAGES[format].fences).join(' ')}; a title="…" or alt="…" attribute becomes the alt text) to NAME.diagrams/ and keeps an image reference under each; a second run changes nothing. --check exits 1 when an image is stale. --prune deletes the images embed wrote (listed in NAME.diagrams/.flowsmith.json) that no block shows any more. --languages mermaid,plantuml embeds only those (when other fences are code samples).`,
    examples: ['flowsmith embed README.md docs/*.md', 'flowsmith embed --prune README.md', 'flowsmith embed --check --prune README.md'],
  },
  generate: {
    options: GENERATE_OPTIONS,
    run: runGenerate,
    usage: 'generate "PROMPT" [--hint flowchart|sequence|state|class|er] [--theme T] [--format svg|png] [-o FILE] [--name N]',
    examples: ['flowsmith generate "how a refund is approved" --hint flowchart -o refund.png'],
  },
  diagrams: {
    options: DIAGRAM_OPTIONS,
    run: runDiagrams,
    usage: 'diagrams list [--folder ID] [--limit N] | get ID | create FILE [--name N] [--folder ID] | delete ID',
    examples: ['flowsmith diagrams list --json', 'flowsmith diagrams create flow.mmd --name "Checkout"'],
  },
  share: {
    options: SHARE_OPTIONS,
    run: runShare,
    usage: 'share DIAGRAM_ID|FILE [--theme T]\n  Prints the public SVG and PNG links.',
    examples: ['flowsmith share 0b7c…', 'flowsmith share flow.mmd --theme dark'],
  },
  usage: { options: {}, run: runUsage, usage: 'usage', examples: ['flowsmith usage --json'] },
  themes: { options: {}, run: runThemes, usage: 'themes', examples: ['flowsmith themes'] },
  mcp: {
    options: {},
    run: runMcp,
    usage: 'mcp\n  An MCP server on stdin and stdout for AI agents (Claude Desktop, Claude Code, ...): render, generate, edit, list, read and save diagrams with this key. docs/mcp.md.',
    examples: ['claude mcp add flowsmith --env FLOWSMITH_URL=http://127.0.0.1:3000 --env FLOWSMITH_API_KEY=fs_live_… -- flowsmith mcp'],
  },
  keys: {
    options: KEY_OPTIONS,
    run: runKeys,
    usage: 'keys create [--name N] [--scopes a,b] | list | revoke ID',
    examples: ['flowsmith keys create --name ci --scopes render:write,export:write'],
  },
};

const COMMON = `Every command takes --json (machine-readable output on stdout), --quiet/-q (no progress lines or
no-key warning; errors still show), --key KEY (default $FLOWSMITH_API_KEY; without one, render and embed
run anonymously: watermarked, per-IP limits) and --url URL (default $FLOWSMITH_URL, else
http://127.0.0.1:3000). Reference: docs/cli.md.`;

export function helpText(name?: string): string {
  const command = name ? COMMANDS[name] : undefined;
  if (command) return `Usage: flowsmith ${command.usage}\n\nExamples:\n${command.examples.map((e) => `  ${e}`).join('\n')}\n\n${COMMON}\n`;
  const list = Object.entries(COMMANDS).map(([key, c]) => `  ${key.padEnd(10)} ${c.usage.split('\n')[0].slice(key.length + 1)}`);
  return `flowsmith: diagrams as code, rendered by a Flowsmith server.\n\nUsage: flowsmith COMMAND [options]\n\n${list.join('\n')}\n\n${COMMON}\nflowsmith COMMAND --help shows a command's examples. Exit codes: 0 done, 1 a request or render failed (or embed --check found stale images), 2 bad usage.\n`;
}
