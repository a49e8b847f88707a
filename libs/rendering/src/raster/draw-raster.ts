import type { RasterFormat } from '@flowsmith/contracts';
import puppeteer, { Browser, CDPSession } from 'puppeteer';
import sharp from 'sharp';
import { CHROMIUM_ARGS } from '../browser/chromium-args';

export interface DrawRasterRequest {
  svg: string;
  /** The drawing's size in CSS pixels (the finished SVG's width and height). */
  width: number;
  height: number;
  format: RasterFormat;
  /** Device pixels per CSS pixel: 1, 2 or 4. */
  scale: number;
  /** `#rrggbb`, or `transparent` (PNG and WebP keep an alpha channel). */
  background: string;
  /** sharp's own guard on the pixels it reads back (raster-limits.ts checks them before drawing). */
  limitInputPixels: number;
}

export interface DrawnRaster {
  data: Uint8Array;
  width: number;
  height: number;
}

export const RASTER_CONTENT_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp', pdf: 'application/pdf' } as const satisfies Record<RasterFormat, string>;

/**
 * The encoders' settings, measured on a mermaid flowchart of 481×615 px (docs/rendering.md,
 * "Rasters"); the worst 4×4 block of each against the PNG is in brackets:
 * - PNG: zlib level 3 writes a file ~3% larger than level 6 in half the time (~4 ms).
 * - JPEG: quality 90 without chroma subsampling (4:4:4): 4 ms, 32 KB [8 levels]. 4:2:0 is 2 ms and
 *   25 KB but halves the colour resolution of thin coloured text and strokes [13 levels]; mozjpeg's
 *   trellis and scans cost 28 ms for 11% fewer bytes.
 * - WebP: lossy, quality 90, effort 2: 8 ms, 13 KB [11 levels]. `smartSubsample` costs 30 ms for
 *   the same bytes and error; effort 4 takes 18 ms for 5% fewer bytes.
 */
export function encodeRaster(image: sharp.Sharp, format: Exclude<RasterFormat, 'pdf'>): sharp.Sharp {
  switch (format) {
    case 'png':
      return image.png({ compressionLevel: 3, adaptiveFiltering: false });
    case 'jpeg':
      return image.jpeg({ quality: 90, chromaSubsampling: '4:4:4', mozjpeg: false, trellisQuantisation: false, overshootDeringing: false, optimiseScans: false, progressive: false });
    case 'webp':
      return image.webp({ quality: 90, effort: 2 });
  }
}

/**
 * Screenshots are taken as soon as a frame is drawn, not at the next tick of a 60 Hz clock: without
 * these a 10-node flowchart's capture took ~42 ms here, with them ~21 ms.
 */
export const RASTER_CHROMIUM_ARGS = [...CHROMIUM_ARGS, '--disable-frame-rate-limit', '--disable-gpu-vsync', '--no-zygote', '--renderer-process-limit=1', '--in-process-gpu', '--enable-features=NetworkServiceInProcess2'];

/** An empty SVG document: the page every drawing replaces the root of. */
const BLANK_SVG = 'data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E';
/** The page is navigated afresh after this many drawings, to drop what the earlier ones left (fonts, images). */
const DRAWINGS_PER_DOCUMENT = 200;

/** "#rrggbb" as CDP's RGBA. */
function rgba(hex: string): { r: number; g: number; b: number; a: number } {
  const n = Number.parseInt(hex.replace('#', '').slice(0, 6), 16);
  return { r: (n >> 16) & 255, g: (n >> 8) & 255, b: n & 255, a: 1 };
}

/**
 * SVG to PNG, JPEG, WebP or PDF as Chromium draws it: a raster is the browser's picture of the SVG
 * that clients get (docs/rendering.md, "Rasters"). Each raster process (raster-child.ts) holds one
 * headless Chromium with a page per device scale, an SVG document whose root each drawing
 * replaces: the page is the drawing's size at its device scale, on the canvas asked for, and its
 * screenshot is the picture (a PDF is the page printed). That is what a browser shows of the same
 * SVG, glyphs included, which librsvg (the rasterizer before) could only approach. sharp then
 * writes the pixels in the format asked (encodeRaster).
 * Never call this in the worker's own process: a drawing can keep Chromium busy for minutes, and
 * nothing but killing its processes stops it (raster-pool.ts).
 */
export class ChromiumRasterizer {
  private browser?: Browser;
  private launching?: Promise<void>;
  /**
   * A page per device scale, loaded at that scale: Chromium decides how glyphs are positioned
   * (whole or fractional pixels) when a document loads at a scale, so a page that loaded at 1 and
   * then draws at 2 places letters otherwise than a browser showing the SVG at 2.
   */
  private readonly pages = new Map<number, Promise<{ session: CDPSession; drawings: number }>>();
  /** The scale whose page is in front: a page behind another is hidden, and draws no frames. */
  private front = 1;

  constructor(private readonly executablePath: string) {}

  /** Starts the browser (once); resolves with its process id, which the pool kills with the process. */
  async launch(): Promise<number> {
    this.launching ??= (async () => {
      const browser = await puppeteer.launch({
        executablePath: this.executablePath,
        headless: true,
        args: RASTER_CHROMIUM_ARGS,
        // Chromium exits when the pipe closes: a raster process killed with SIGKILL takes it along.
        pipe: true,
        // The raster process ignores signals meant for the worker (raster-child.ts); so does its browser.
        handleSIGTERM: false,
        handleSIGINT: false,
        handleSIGHUP: false,
        protocolTimeout: 600_000,
      });
      // A browser that crashed or was killed: this process is of no more use, and the pool replaces it.
      browser.once('disconnected', () => process.exit(3));
      this.browser = browser;
      await this.page(1);
    })();
    await this.launching;
    return this.browser!.process()?.pid ?? 0;
  }

  private page(scale: number): Promise<{ session: CDPSession; drawings: number }> {
    let page = this.pages.get(scale);
    if (!page) {
      page = (async () => {
        const [first] = await this.browser!.pages();
        const session = await (scale === 1 && first ? first : await this.browser!.newPage()).createCDPSession();
        await session.send('Emulation.setDeviceMetricsOverride', { width: 8, height: 8, deviceScaleFactor: scale, mobile: false });
        await navigate(session, BLANK_SVG);
        // A new page opens in front.
        this.front = scale;
        return { session, drawings: 0 };
      })();
      this.pages.set(scale, page);
    }
    return page;
  }

  async draw(request: DrawRasterRequest): Promise<DrawnRaster> {
    await this.launch();
    // A PDF is vector: its page is drawn at scale 1 whatever the request says.
    const scale = request.format === 'pdf' ? 1 : request.scale;
    const page = await this.page(scale);
    const { session } = page;
    if (this.front !== scale) {
      await session.send('Page.bringToFront');
      this.front = scale;
    }
    const width = Math.max(1, Math.ceil(request.width));
    const height = Math.max(1, Math.ceil(request.height));
    if (++page.drawings % DRAWINGS_PER_DOCUMENT === 0) await navigate(session, BLANK_SVG);
    await session.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: scale, mobile: false });
    const transparent = request.background === 'transparent';
    await session.send('Emulation.setDefaultBackgroundColorOverride', { color: transparent ? { r: 0, g: 0, b: 0, a: 0 } : rgba(request.background) });
    // The SVG is parsed as XML, as when a browser opens the file, and becomes the document's root;
    // the picture is taken once its fonts and embedded images are ready.
    const loaded = await session.send('Runtime.evaluate', {
      expression: `(${REPLACE_ROOT})(${JSON.stringify(request.svg)})`,
      awaitPromise: true,
      returnByValue: true,
    });
    if (loaded.exceptionDetails) throw new Error(loaded.exceptionDetails.exception?.description ?? loaded.exceptionDetails.text);
    if (loaded.result.value !== 'ok') throw new Error(`Chromium could not read the SVG: ${String(loaded.result.value)}`);
    if (request.format === 'pdf') return printPdf(session, width, height);
    const shot = await session.send('Page.captureScreenshot', { format: 'png', optimizeForSpeed: true, captureBeyondViewport: false, fromSurface: true });
    const pixels = sharp(Buffer.from(shot.data, 'base64'), { limitInputPixels: request.limitInputPixels });
    const drawn = transparent ? pixels.ensureAlpha() : pixels.flatten({ background: request.background });
    const { data, info } = await encodeRaster(drawn, request.format).toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  }

  async close(): Promise<void> {
    this.browser?.removeAllListeners('disconnected');
    await this.browser?.close();
  }
}

/**
 * A PDF of one page the drawing's size (CSS pixels at 96 per inch), without margins: vector, with
 * the fonts embedded, as Chromium prints the SVG document. The theme's canvas is part of the
 * finished SVG, so it prints as it shows.
 */
async function printPdf(session: CDPSession, width: number, height: number): Promise<DrawnRaster> {
  const printed = await session.send('Page.printToPDF', {
    paperWidth: width / 96,
    paperHeight: height / 96,
    marginTop: 0,
    marginBottom: 0,
    marginLeft: 0,
    marginRight: 0,
    printBackground: true,
    pageRanges: '1',
    generateTaggedPDF: false,
  });
  return { data: Buffer.from(printed.data, 'base64'), width, height };
}

async function navigate(session: CDPSession, url: string): Promise<void> {
  const loaded = new Promise<void>((resolve) => session.once('Page.loadEventFired', () => resolve()));
  await session.send('Page.enable');
  await session.send('Page.navigate', { url });
  await loaded;
  await session.send('Page.disable');
}

/**
 * Runs in the page (a string, so that no compiler or coverage tool rewrites it): the SVG becomes the
 * document's root; 'ok', or what the XML parser said. The picture waits for the fonts and embedded
 * images, then for a frame drawn with the new content.
 */
const REPLACE_ROOT = `async (svg) => {
  const parsed = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const root = parsed.documentElement;
  if (root.nodeName !== 'svg') return (root.textContent || 'not an SVG').slice(0, 300);
  document.replaceChild(document.importNode(root, true), document.documentElement);
  const images = Array.from(document.querySelectorAll('image'));
  await Promise.all([document.fonts.ready, ...images.map((image) => (image.decode ? image.decode().catch(() => undefined) : undefined))]);
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  return 'ok';
}`;
