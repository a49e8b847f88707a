// Issue 16, per language: warm p50 through the worker against the language's own tool run once per
// diagram (target ≥ 10× faster). run.mjs's section `languages` (BENCH_ONLY=languages) calls
// measureLanguages with a warm Renderer.
//
// For every language of the registry (dist/libs/contracts/src/languages.js) except those measured
// elsewhere (mermaid: sections A and C; plantuml, drawio, bpmn, svg: section D), its `sample`:
//  - warm: rendered to SVG through the Renderer, one at a time, min(20, n) warm-up renders, then n
//    timed (BENCH_LANG_ITERATIONS, default 100), each a distinct variant of the sample (a comment
//    line in the language's comment syntax, or a changed label), so that nothing can answer from memory;
//  - own tool: the language's own program, started for one diagram, as a per-file CLI run would
//    (BENCH_LANG_COLD_RUNS timed runs, default 5, after one untimed run that checks it draws an SVG
//    and brings its files into the OS's page cache), p50.
// A language without an own-tool runner below, or whose tool fails, is reported so; a runner whose
// language is not registered (yet) is skipped.
// Env: BENCH_LANGUAGES=graphviz,nomnoml (only these), BENCH_LANG_ITERATIONS, BENCH_LANG_COLD_RUNS.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

/** Measured by other sections of run.mjs. */
export const MEASURED_ELSEWHERE = new Set(['mermaid', 'plantuml', 'drawio', 'bpmn', 'svg']);
/** Issue 16: warm p50 through the worker at least this many times faster than the own tool once per diagram. */
export const TARGET_SPEEDUP = 10;

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
};

/** One process, its wall time from spawn to exit (ms), its stdout and stderr. */
function run(command, args, { input, cwd = ROOT, env = process.env } = {}) {
  return new Promise((ok, fail) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', fail);
    child.on('close', (status, signal) => {
      const ms = performance.now() - start;
      ok({ ms, status, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {}); // a tool that exits without reading its stdin
    child.stdin.end(input ?? '');
  });
}

const failed = (what, r) => new Error(`${what} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);

/** A program that reads the source on stdin and writes the SVG to stdout. */
const viaStdin = (command, args) => async (source) => {
  const r = await run(command, args, { input: source });
  if (r.status !== 0) throw failed(command, r);
  return { ms: r.ms, svg: r.stdout };
};

/** A program that reads the source from a file and writes the SVG to a file (or stdout); the input is written before the clock starts. */
const viaFile = (ext, command, args, { stdout = false } = {}) => async (source, dir) => {
  const input = join(dir, `diagram${ext}`);
  const output = join(dir, 'diagram.svg');
  rmSync(output, { force: true });
  writeFileSync(input, source);
  const r = await run(command, args(input, output), { cwd: dir });
  if (r.status !== 0) throw failed(command, r);
  return { ms: r.ms, svg: stdout ? r.stdout : existsSync(output) ? readFileSync(output, 'utf8') : '' };
};

/**
 * A fresh `node` that imports a library and renders once (what their JS CLIs do): the script, run
 * with `source` read from stdin, imports with import() (not --input-type=module: D2.js's worker
 * thread inherits the flags and refuses that one).
 */
const viaNode = (script) =>
  viaStdin(process.execPath, ['-e', `(async () => { let source = ''; for await (const chunk of process.stdin) source += chunk;\n${script}\n})().catch((error) => { console.error(error); process.exit(1); });`]);

/** A CLI that the package puts in node_modules/.bin. */
const bin = (name) => join(ROOT, 'node_modules/.bin', name);

/** Debian's blockdiag family: /usr/bin/<name>, or <name>3 where Debian names it so (bookworm: python3-blockdiag's blockdiag3). */
const debianDiag = (name) => [`/usr/bin/${name}`, `/usr/bin/${name}3`].find((path) => existsSync(path)) ?? `/usr/bin/${name}`;

/** TikZ: `latex` then `dvisvgm`, the programs and flags of libs/rendering/src/tikz/tikz-engine.ts, in a fresh folder per picture, the bare picture framed as the engine frames it. */
async function tikzOnce(source) {
  const { frameTikzSource, STANDALONE_CLASS } = require(join(ROOT, 'dist/libs/rendering/src/tikz/tikz-source.js'));
  const { THEME_DEFINITIONS } = require(join(ROOT, 'dist/libs/rendering/src/themes.js'));
  const framed = frameTikzSource(source, THEME_DEFINITIONS.light);
  if (!framed.ok) throw new Error(`tikz: the source is refused: ${framed.error.message}`);
  const dir = mkdtempSync(join(tmpdir(), 'flowsmith-bench-tikz-'));
  try {
    writeFileSync(join(dir, 'job.tex'), framed.value.text);
    writeFileSync(join(dir, 'standalone.cls'), STANDALONE_CLASS);
    const start = performance.now();
    const tex = await run('latex', ['-no-shell-escape', '-interaction=nonstopmode', '-halt-on-error', '-file-line-error', 'job.tex'], { cwd: dir });
    if (tex.status !== 0) throw failed('latex', tex);
    // dvisvgm's own font cache (~/.dvisvgm/cache) stands in for the engine's --cache folder.
    const svg = await run('dvisvgm', ['--no-fonts', '--exact-bbox', '--optimize', '--precision=3', '--page=1', '--bbox=min', '--no-specials=ps,pdf,html,em,bgcolor,papersize', '--output=job.svg', 'job.dvi'], { cwd: dir });
    if (svg.status !== 0) throw failed('dvisvgm', svg);
    const ms = performance.now() - start;
    return { ms, svg: readFileSync(join(dir, 'job.svg'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** C4: a JVM per diagram (`java -jar plantuml.jar -tsvg -pipe`), fed the framed and themed text the engine sends its warm JVM (engines/plantuml.mjs). */
async function c4Once(source) {
  const { coldRender } = await import('./engines/plantuml.mjs');
  return { ms: await coldRender(source), svg: '<svg' }; // coldRender checks the SVG itself
}

/** Excalidraw: a fresh headless Chromium (puppeteer, chromium-args.ts's flags), the engine's page bundle, one export (engines/cold-browser.mjs). */
async function excalidrawOnce(source) {
  const { coldBrowserRender } = await import('./engines/cold-browser.mjs');
  return { ms: await coldBrowserRender('excalidraw', 'ExcalidrawEngine', 'setupExcalidrawPage', source), svg: '<svg' }; // it checks the render
}

/** svgbob-wasm's JavaScript wrapper imports its .wasm as an ES module, which Node does not load: its CLI-equivalent instantiates the .wasm itself (wasm-bindgen's calling convention). */
const SVGBOB_SCRIPT = `
const wasmFile = require.resolve('svgbob-wasm/svgbob_wasm_bg.wasm');
const { instance } = await WebAssembly.instantiate(require('node:fs').readFileSync(wasmFile), {});
const wasm = instance.exports;
const input = new TextEncoder().encode(source);
const pointer = wasm.__wbindgen_malloc(input.length);
new Uint8Array(wasm.memory.buffer).set(input, pointer);
const area = wasm.__wbindgen_add_to_stack_pointer(-16);
wasm.render(area, pointer, input.length);
const [start, length] = new Int32Array(wasm.memory.buffer, area, 2);
process.stdout.write(new TextDecoder().decode(new Uint8Array(wasm.memory.buffer, start, length)));
`;

/** Vega's headless render, as vega-cli's vg2svg does it (vega-cli is not installed). */
const VEGA_SCRIPT = `
const vega = await import('vega');
const view = new vega.View(vega.parse(JSON.parse(source)), { renderer: 'none', logger: vega.logger(vega.Warn, 'error') });
process.stdout.write(await view.toSVG());
view.finalize();
`;

/** D2.js: its D2 class (a worker thread that runs d2.wasm), compile then render; the worker keeps the process alive, so it exits once written. */
const D2_SCRIPT = `
const { D2 } = await import('@terrastruct/d2');
const d2 = new D2();
const compiled = await d2.compile(source);
const svg = await d2.render(compiled.diagram, compiled.renderOptions);
process.stdout.write(svg, () => process.exit(0));
`;

const PIKCHR_SCRIPT = `
const { default: pikchr } = await import('pikchr-wasm');
await pikchr.loadWASM();
process.stdout.write(pikchr.render(source));
`;

/** A distinct copy of a source: a comment line before it. */
const commented = (prefix) => (source, tag) => `${prefix} variant ${tag}\n${source}`;
/** A distinct copy of a JSON source: one harmless field changed. */
const jsonField = (field) => (source, tag) => JSON.stringify({ ...JSON.parse(source), [field]: `variant ${tag}` });

/**
 * Each language's own tool (`tool`: what the table calls it; `once(source, dir)` → { ms, svg }, dir a
 * scratch folder of the language's) and how its sources are varied (`variant(source, tag)`).
 */
export const OWN_TOOLS = {
  graphviz: { tool: 'dot -Tsvg (Debian Graphviz)', variant: commented('//'), once: viaStdin('dot', ['-Tsvg']) },
  c4plantuml: { tool: 'java -jar plantuml.jar -tsvg -pipe', variant: (source, tag) => source.replace(/^(@start\w+[^\n]*\n)/, `$1' variant ${tag}\n`), once: c4Once },
  tikz: { tool: 'latex + dvisvgm (the programs our engine runs)', variant: commented('%'), once: tikzOnce },
  ...Object.fromEntries(
    ['blockdiag', 'seqdiag', 'actdiag', 'nwdiag', 'packetdiag', 'rackdiag'].map((name) => [
      name,
      { tool: `${debianDiag(name).replace('/usr/bin/', '')} -Tsvg (Debian)`, variant: commented('//'), once: viaFile('.diag', debianDiag(name), (input, output) => ['-Tsvg', '-o', output, input]) },
    ]),
  ),
  nomnoml: { tool: 'nomnoml CLI (npm nomnoml)', variant: commented('//'), once: viaFile('.nomnoml', bin('nomnoml'), (input, output) => [input, output]) },
  bytefield: { tool: 'bytefield-svg CLI (npm bytefield-svg)', variant: commented(';'), once: viaFile('.bytefield', bin('bytefield-svg'), (input, output) => [input, '-o', output]) },
  dbml: { tool: 'dbml-renderer CLI (npm @softwaretechnik/dbml-renderer)', variant: commented('//'), once: viaFile('.dbml', bin('dbml-renderer'), (input, output) => ['-i', input, '-o', output]) },
  wavedrom: { tool: 'wavedrom CLI (npm wavedrom: node + wavedrom)', variant: commented('//'), once: viaFile('.json5', bin('wavedrom'), (input) => ['-i', input], { stdout: true }) },
  pikchr: { tool: 'node + pikchr-wasm', variant: commented('#'), once: viaNode(PIKCHR_SCRIPT) },
  // svgbob has no comments: the variant is a label under the drawing.
  svgbob: { tool: 'node + svgbob-wasm', variant: (source, tag) => `${source.replace(/\n+$/, '')}\n\n  variant ${tag}\n`, once: viaNode(SVGBOB_SCRIPT) },
  d2: { tool: 'node + @terrastruct/d2', variant: commented('#'), once: viaNode(D2_SCRIPT) },
  vega: { tool: 'node + vega (View.toSVG)', variant: jsonField('description'), once: viaNode(VEGA_SCRIPT) },
  vegalite: { tool: 'vl2svg (npm vega-lite: node + vega-lite + vega View.toSVG)', variant: jsonField('description'), once: viaFile('.vl.json', bin('vl2svg'), (input, output) => [input, output]) },
  excalidraw: { tool: 'fresh headless Chromium + Excalidraw page bundle', variant: jsonField('source'), once: excalidrawOnce },
};

const timed = async (fn) => {
  const start = performance.now();
  const value = await fn();
  return [performance.now() - start, value];
};

/**
 * Every registered language but those measured elsewhere (BENCH_LANGUAGES narrows them): warm
 * p50/p99 through `renderer`, the own tool's p50, the speedup. Returns { languages, notRegistered }.
 */
export async function measureLanguages(renderer, { log = console.error } = {}) {
  const { LANGUAGES } = require(join(ROOT, 'dist/libs/contracts/src/languages.js'));
  const iterations = Number(process.env.BENCH_LANG_ITERATIONS ?? 100);
  const warmups = Math.min(20, iterations);
  const coldRuns = Number(process.env.BENCH_LANG_COLD_RUNS ?? 5);
  const wanted = process.env.BENCH_LANGUAGES ? process.env.BENCH_LANGUAGES.split(',').map((s) => s.trim()).filter(Boolean) : null;
  const candidates = [...new Set([...Object.keys(LANGUAGES), ...Object.keys(OWN_TOOLS)])].filter((id) => !MEASURED_ELSEWHERE.has(id) && (!wanted || wanted.includes(id)));
  const notRegistered = candidates.filter((id) => !Object.hasOwn(LANGUAGES, id));
  if (notRegistered.length) log(`languages: not in the registry (dist/libs/contracts/src/languages.js), skipped: ${notRegistered.join(', ')}`);
  const scratch = join(tmpdir(), `flowsmith-bench-languages-${process.pid}`);
  const languages = {};
  try {
    for (const id of candidates.filter((id) => Object.hasOwn(LANGUAGES, id))) {
      const own = OWN_TOOLS[id];
      const sample = LANGUAGES[id].sample;
      // A language without a runner here: its copies differ in trailing spaces (no comment syntax known).
      let copies = 0;
      const variant = own?.variant ?? ((source) => `${source}\n${' '.repeat(++copies)}`);
      const render = async (source) => {
        const outcome = await renderer.render({ source, sourceFormat: id, theme: 'light', format: 'svg', scale: 1, watermark: false });
        if (!outcome.ok) throw new Error(`${id}: ${outcome.error.code}: ${outcome.error.message}`);
      };
      for (let i = 0; i < warmups; i++) await render(variant(sample, `warm-${i}`));
      const warm = [];
      for (let i = 0; i < iterations; i++) warm.push((await timed(() => render(variant(sample, i))))[0]);
      const row = { label: LANGUAGES[id].label, tool: own?.tool ?? null, warm_p50_ms: pct(warm, 50), warm_p99_ms: pct(warm, 99), n: warm.length, own_tool_p50_ms: null, own_tool_runs: 0, speedup: null, target: `≥ ${TARGET_SPEEDUP}×`, meets_target: null };
      if (!own) {
        row.own_tool_error = 'no own-tool runner in bench/render/languages.mjs';
      } else {
        const dir = join(scratch, id);
        mkdirSync(dir, { recursive: true });
        try {
          const check = await own.once(variant(sample, 'own-check'), dir);
          if (!check.svg.includes('<svg')) throw new Error(`${own.tool} wrote no SVG: ${check.svg.slice(0, 200)}`);
          const cold = [];
          for (let i = 0; i < coldRuns; i++) {
            const once = await own.once(variant(sample, `own-${i}`), dir);
            if (!once.svg.includes('<svg')) throw new Error(`${own.tool} wrote no SVG: ${once.svg.slice(0, 200)}`);
            cold.push(once.ms);
          }
          row.own_tool_p50_ms = Math.round(pct(cold, 50) * 10) / 10;
          row.own_tool_runs = cold.length;
          row.speedup = Math.round((row.own_tool_p50_ms / row.warm_p50_ms) * 10) / 10;
          row.meets_target = row.speedup >= TARGET_SPEEDUP;
        } catch (error) {
          row.own_tool_error = error.message;
        }
      }
      languages[id] = row;
      log(`language ${id}`, JSON.stringify(row));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { languages, notRegistered };
}

/** The table's row of one language, in the style of section D's. */
export function languageRow(id, r) {
  const own = r.own_tool_error ? `own tool (${r.tool ?? 'none'}) not measured: ${r.own_tool_error.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 160)}` : `${r.tool} once per diagram ${r.own_tool_p50_ms} ms (${r.speedup}×)`;
  return `| ${id}, registry sample → SVG, warm | p50 ${r.warm_p50_ms} ms, p99 ${r.warm_p99_ms} ms; ${own} | ${r.target} |`;
}
