import sharp from 'sharp';
import { ChromiumRasterizer, DrawRasterRequest } from './draw-raster';

/**
 * A raster process (raster-pool.ts starts a few per worker and kills them at deadlines): it draws
 * one picture (PNG, JPEG, WebP or PDF) at a time for its parent in a headless Chromium of its own
 * (draw-raster.ts), over the IPC channel with advanced serialization, so its bytes travel as bytes.
 * It tells the parent its browser's process id, so that killing the process kills the drawing.
 * One libvips thread and no operation cache for the encoding.
 */
export type RasterChildRequest = DrawRasterRequest & { id: number; deadline: number };
export type RasterChildReply = { id: number; ok: true; data: Uint8Array; width: number; height: number } | { id: number; ok: false; message: string };
export type RasterChildStatus = { ready: true } | { browserPid: number };

function main(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('raster-child runs as a child process with an IPC channel (raster-pool.ts)');
  const executablePath = process.env.RASTER_CHROMIUM_PATH;
  if (!executablePath) throw new Error('RASTER_CHROMIUM_PATH is not set (raster-pool.ts sets it)');
  sharp.cache(false);
  sharp.concurrency(1);
  const rasterizer = new ChromiumRasterizer(executablePath);
  let launched: Promise<void> | undefined;
  // The browser's pid goes to the parent before anything is drawn: it kills the browser with us,
  // and measures the memory a drawing adds from what the idle browser holds.
  // A browser that cannot start ends the process: the pool fails the picture in hand as an
  // infrastructure error (retried) and starts another process, with backoff.
  const launch = () =>
    (launched ??= rasterizer.launch().then(
      (browserPid) => void send({ browserPid } satisfies RasterChildStatus),
      (error: Error) => {
        console.error(`raster process: Chromium did not start: ${error.message}`);
        process.exit(2);
      },
    ));
  // The parent is gone (killed, even with SIGKILL): so are we and our browser, whatever it is doing.
  process.on('disconnect', () => process.exit(0));
  // A SIGTERM to the worker's process group (Ctrl-C, some supervisors) is for the worker, which
  // drains and then kills us itself: dying now would fail the pictures its drain waits for.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => undefined);
  // One drawing at a time, the warm-up's included. A request can outlive its
  // deadline only while the browser starts (raster-pool.ts keeps the process then): it is answered
  // without drawing.
  let drawing: Promise<unknown> = Promise.resolve();
  const draw = (request: DrawRasterRequest, deadline = Number.POSITIVE_INFINITY) => {
    const drawn = drawing
      .then(() => launch())
      .then(() => {
        if (Date.now() > deadline) throw new Error('the deadline passed before drawing');
        return rasterizer.draw(request);
      });
    drawing = drawn.catch(() => undefined);
    return drawn;
  };
  process.on('message', (request: RasterChildRequest) => {
    draw(request, request.deadline).then(
      (drawn) => send({ id: request.id, ok: true, ...drawn } satisfies RasterChildReply),
      (error: Error) => send({ id: request.id, ok: false, message: error.message } satisfies RasterChildReply),
    );
  });
  // Ready at once: the pool may send work, which waits for the browser if it is not up yet.
  send({ ready: true } satisfies RasterChildStatus);
  // Warm (the worker, RENDER_RASTER_WARM): the browser starts, and draws once, in the background
  // right away, so that the first picture does not wait for it; otherwise with the first picture.
  if (process.env.RASTER_WARM === '1') {
    draw({ svg: '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><text x="0" y="8" font-size="8">w</text></svg>', width: 8, height: 8, format: 'png', scale: 1, background: '#ffffff', limitInputPixels: 64 }).catch(() => undefined);
  }
}

main();
