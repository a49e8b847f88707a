import sharp from 'sharp';
import { drawRaster, DrawRasterRequest } from './draw-raster';

/**
 * A raster process (raster-pool.ts starts a few per worker and kills them at deadlines): it draws
 * one picture (PNG, JPEG or WebP) at a time for its parent, over the IPC channel with advanced
 * serialization, so its bytes travel as bytes. One libvips thread and no operation cache: a process's CPU and memory are
 * those of the drawing in hand, which is what the pool bounds.
 */
export type RasterChildRequest = DrawRasterRequest & { id: number };
export type RasterChildReply = { id: number; ok: true; data: Uint8Array; width: number; height: number } | { id: number; ok: false; message: string };

function main(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('raster-child runs as a child process with an IPC channel (raster-pool.ts)');
  sharp.cache(false);
  sharp.concurrency(1);
  // The parent is gone (killed, even with SIGKILL): so are we, whatever libvips is doing.
  process.on('disconnect', () => process.exit(0));
  // A SIGTERM to the worker's process group (Ctrl-C, some supervisors) is for the worker, which
  // drains and then kills us itself: dying now would fail the PNGs its drain waits for.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => undefined);
  process.on('message', (request: RasterChildRequest) => {
    drawRaster(request).then(
      (drawn) => send({ id: request.id, ok: true, ...drawn } satisfies RasterChildReply),
      (error: Error) => send({ id: request.id, ok: false, message: error.message } satisfies RasterChildReply),
    );
  });
  // Warm: the first raster in a process costs ~70 ms of library setup; pay it before any request.
  void drawRaster({ svg: '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><text x="0" y="8" font-size="8">w</text></svg>', format: 'png', scale: 1, background: '#ffffff', limitInputPixels: 64 }).finally(() => send({ ready: true }));
}

main();
