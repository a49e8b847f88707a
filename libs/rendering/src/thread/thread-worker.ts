import { SCRIPT_DRAWS, SCRIPT_TEXTS, type ScriptLanguage, type ScriptTextLanguage } from '../engines-script';
import type { ThemePalette } from '../themes';
import { type MessagePort, workerData } from 'node:worker_threads';
import { SourceError } from './drawing';

/** What a thread is asked (thread-pool.ts): to draw a source as SVG, or to write it as text (`txt`, `utxt`). */
export type ThreadTask = (
  | { kind: 'draw'; language: ScriptLanguage; source: string; palette: ThemePalette }
  | { kind: 'text'; language: ScriptTextLanguage; source: string; ascii: boolean }
) & {
  /** Told when this thread takes the task: the engine's own time limit runs from then (thread-pool.ts). */
  started?: MessagePort;
};

/** A thread's answer: the SVG or text, or the source's fault; a fault of the engine is a throw. */
export type ThreadReply = { ok: true; output: string; diagramType: string } | { ok: false; message: string; line?: number; column?: number };

/**
 * The script pool's thread (thread-pool.ts): draws one source with its language's `draw` (or
 * writes it with its `text`), loaded on first use and kept for the thread's life. Bundled with
 * esbuild as an ES module (several engines are ES modules with top-level await, which `require`
 * cannot load).
 */
async function runInThisThread(task: ThreadTask): Promise<ThreadReply> {
  task.started?.postMessage(0);
  task.started?.close();
  try {
    if (task.kind === 'text') {
      const { text } = await SCRIPT_TEXTS[task.language]();
      const written = await text(task.source, task.ascii);
      return { ok: true, output: written.text, diagramType: written.diagramType };
    }
    const { draw } = await SCRIPT_DRAWS[task.language]();
    const drawing = await draw(task.source, task.palette);
    return { ok: true, output: drawing.svg, diagramType: drawing.diagramType };
  } catch (error) {
    if (error instanceof SourceError) return { ok: false, message: error.message, line: error.line, column: error.column };
    throw error;
  }
}

/**
 * What the pool gets: the function above, once this thread is ready. A thread of a slow-starting
 * language (thread-pool.ts, `workerData.preload`) first loads that language (its module's `warm`):
 * Piscina awaits a default export that is a promise before it gives the thread a task, so sources
 * wait in the pool's queue, where a deadline that passes drops the source and not the thread.
 */
async function ready(): Promise<typeof runInThisThread> {
  const preload = (workerData as { preload?: ScriptLanguage } | null | undefined)?.preload;
  if (preload) {
    const loaded = await SCRIPT_DRAWS[preload]();
    if ('warm' in loaded) await loaded.warm();
  }
  return runInThisThread;
}

export default ready();
