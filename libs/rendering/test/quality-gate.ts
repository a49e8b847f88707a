/// <reference lib="dom" />
import type { Page } from 'puppeteer';

/**
 * The visual quality gate's measuring (quality-gate.e2e-spec.ts runs it over the corpus in every
 * theme; docs/themes.md describes it). Everything is measured in Chromium on the SVG a client
 * gets, in batches inside one page:
 *
 * - text contrast: each text is found in the DOM, then read off two in-page rasterizations of the
 *   SVG at 2x (as drawn, and with every text hidden). The pixels where the two differ most are its
 *   ink; each is compared with the pixel under it in the text-less drawing, so filters, opacity and
 *   whatever lies under the label (a node, a band, a line, the canvas) count as drawn. WCAG 1.4.3:
 *   4.5:1, or 3:1 from 18.66 px.
 * - graphic contrast (WCAG 1.4.11): every line with a stroke and no fill (edges, connectors,
 *   branches, axes) against the canvas by its stroke; every filled shape (node, slice, bar) by its
 *   fill or its outline, whichever stands out more; 3:1. Colours are computed styles composited
 *   with their opacity over the canvas (gradients by their mean stop, the SVG engine's inversion
 *   filter applied), minus the DECORATIVE elements listed below, each with why.
 * - overflow: a text whose centre lies in a shape must keep its ink inside that shape (the
 *   smallest shape under its centre, by isPointInFill or isPointInStroke).
 * - overlap: no two texts' inks overlap (axis ticks, legends, labels).
 */

export interface GateItem {
  /** `<file>|<theme>`, as findings name it. */
  id: string;
  svg: string;
  /** The theme's canvas: under every text-less drawing and every graphic. */
  background: string;
}

export type GateCheck = 'text-contrast' | 'graphic-contrast' | 'overflow' | 'overlap';

export interface GateFinding {
  item: string;
  check: GateCheck;
  /** What failed: the element (tag.class) and its text or size. */
  subject: string;
  measured: number;
  required: number;
}

export interface GateResult {
  item: string;
  findings: GateFinding[];
  /** Counts of what was measured, so that a gate that measures nothing cannot pass. */
  texts: number;
  lines: number;
  shapes: number;
  /** Shapes drawn in the colour beneath them, unframed: nothing a reader sees, so not judged. */
  invisible: number;
  /** The browser's drawing, scaled to fit a contact-sheet cell, as a PNG. */
  thumbnail: Buffer;
}

export const LIMITS = {
  text: 4.5,
  largeText: 3,
  /** 14 pt bold or 18 pt: WCAG's large text; the brief's 18.66 px for any weight. */
  largeTextPx: 18.66,
  graphic: 3,
} as const;

/**
 * Elements that carry no meaning of their own (WCAG 1.4.11 asks nothing of them), by CSS selector,
 * each with why. Everything else with a stroke or a fill is measured.
 */
export const DECORATIVE: Array<{ selector: string; why: string }> = [
  { selector: '.edgeLabel rect, .labelBkg, .edgeLabel path, rect.background', why: "a label's backing, meant to blend into the canvas" },
  { selector: 'rect.section0, rect.section1, rect.section2, rect.section3, .grid .tick line, .grid path, .exclude-range', why: "gantt's alternating section bands, grid and excluded days: a reading aid behind the tasks" },
  { selector: '.today', why: "gantt's today marker (absent in a fixed corpus)" },
  { selector: '.quadrant > rect, .cynefin-backgrounds > rect', why: 'the quarters of a quadrant chart and the domains of a Cynefin framework: tints, parted and framed by border lines that are measured' },
  { selector: 'circle.radarGraticule', why: "a radar chart's reference rings, behind the measured axes and curves" },
  { selector: 'rect.commit-label-bkg, .row-rect-odd > path, .row-rect-even > path, .em-swimlane > rect', why: "a git commit label's backing, an ER entity's row stripes inside its measured outline, event modeling's lane bands" },
  { selector: '.wardley-stages line', why: "the boundaries between a Wardley map's evolution stages: a grid, like gantt's" },
  // Vega/Vega-Lite draw axis grids as rule marks of role axis-grid, deliberately quiet (vega-draw.ts vegaTheme).
  { selector: '.role-axis-grid line', why: "a Vega/Vega-Lite chart's axis grid: a reading aid behind the measured axes, ticks and marks, like gantt's grid" },
  // Excalidraw's hachure/cross-hatch/zigzag fills are strokes in the fill's pastel; excalidraw-page.ts marks them.
  { selector: 'path.sketch-fill', why: "an Excalidraw shape's sketched fill (hachure lines in its fill colour): a texture inside the shape's measured outline" },
];

export const CELL = 240;

/**
 * Measures a batch of SVGs in the page (one per call is fine; fewer round trips are faster).
 * The page must be blank; it is left with an empty body.
 */
export async function measureSvgs(page: Page, items: GateItem[]): Promise<GateResult[]> {
  const raw = await page.evaluate(measureInPage, items, LIMITS, DECORATIVE.map((entry) => entry.selector).join(', '), CELL);
  return raw.map((result) => ({ ...result, thumbnail: Buffer.from(result.thumbnail, 'base64') }));
}

type InPageResult = Omit<GateResult, 'thumbnail'> & { thumbnail: string };

/** Runs in Chromium (serialized by puppeteer): it may use nothing from this module's scope. */
async function measureInPage(items: GateItem[], limits: typeof LIMITS, decorative: string, cell: number): Promise<InPageResult[]> {
  const SCALE = 2;
  const SKIP = 'defs, marker, symbol, clipPath, mask, pattern, title, desc, metadata, style';
  type Rgb = [number, number, number];
  const probe = document.createElement('canvas').getContext('2d')!;
  /** A CSS colour as RGB and alpha; null for none, transparent or what cannot be read. */
  const colour = (value: string | null): { rgb: Rgb; alpha: number } | null => {
    if (!value || value === 'none' || value === 'transparent') return null;
    const match = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/.exec(value.trim());
    if (match) {
      const alpha = match[4] === undefined ? 1 : match[4].endsWith('%') ? Number.parseFloat(match[4]) / 100 : Number(match[4]);
      return alpha > 0 ? { rgb: [Number(match[1]), Number(match[2]), Number(match[3])], alpha } : null;
    }
    probe.fillStyle = '#000';
    probe.fillStyle = value;
    const parsed = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(String(probe.fillStyle));
    if (parsed) return { rgb: [1, 2, 3].map((i) => Number.parseInt(parsed[i], 16)) as Rgb, alpha: 1 };
    const rgba = /^rgba\(([\d.]+), ([\d.]+), ([\d.]+), ([\d.]+)\)$/.exec(String(probe.fillStyle));
    return rgba && Number(rgba[4]) > 0 ? { rgb: [Number(rgba[1]), Number(rgba[2]), Number(rgba[3])], alpha: Number(rgba[4]) } : null;
  };
  const channel = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (rgb: ArrayLike<number>) => 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
  const contrast = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const over = (top: Rgb, alpha: number, under: Rgb): Rgb => top.map((c, i) => c * alpha + under[i] * (1 - alpha)) as Rgb;
  /** The SVG engine's inversion (svg/svg-engine.ts): invert, then turn hues by 180 degrees. */
  const invert = (rgb: Rgb): Rgb => {
    const [r, g, b] = rgb.map((c) => 1 - c / 255);
    const m = [-0.574, 1.43, 0.144, 0.426, 0.43, 0.144, 0.426, 1.43, -0.856];
    return [m[0] * r + m[1] * g + m[2] * b, m[3] * r + m[4] * g + m[5] * b, m[6] * r + m[7] * g + m[8] * b].map((c) => Math.round(Math.min(1, Math.max(0, c)) * 255)) as Rgb;
  };

  const draw = async (svg: string, width: number, height: number, background: string) => {
    const image = new Image();
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * SCALE));
    canvas.height = Math.max(1, Math.round(height * SCALE));
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    context.fillStyle = background;
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return { canvas, pixels: context.getImageData(0, 0, canvas.width, canvas.height).data };
  };
  const thumbnailOf = async (canvas: HTMLCanvasElement) => {
    // Room below for the contact sheet's caption.
    const fit = Math.min(1, (cell - 8) / (canvas.width / SCALE), (cell - 24) / (canvas.height / SCALE)) / SCALE;
    const small = document.createElement('canvas');
    small.width = Math.max(1, Math.round(canvas.width * fit));
    small.height = Math.max(1, Math.round(canvas.height * fit));
    const context = small.getContext('2d')!;
    context.imageSmoothingQuality = 'high';
    context.drawImage(canvas, 0, 0, small.width, small.height);
    const blob = await new Promise<Blob>((resolve) => small.toBlob((b) => resolve(b!), 'image/png'));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  };

  const describe = (element: Element) => {
    const cls = (element.getAttribute('class') ?? '').trim().split(/\s+/).filter(Boolean).slice(0, 3).join('.');
    const parentCls = (element.parentElement?.getAttribute('class') ?? '').trim().split(/\s+/).filter(Boolean).slice(0, 2).join('.');
    return `${parentCls ? `.${parentCls} > ` : ''}${element.tagName}${cls ? `.${cls}` : ''}`;
  };
  const opacities = new Map<Element, number>();
  const opacityOf = (element: Element, root: Element): number => {
    const known = opacities.get(element);
    if (known !== undefined) return known;
    const own = Number(getComputedStyle(element).opacity || 1);
    const opacity = element === root || !element.parentElement ? own : own * opacityOf(element.parentElement, root);
    opacities.set(element, opacity);
    return opacity;
  };
  const inverted = (element: Element) => {
    for (let e: Element | null = element; e; e = e.parentElement) if (/flowsmith-invert/.test(e.getAttribute('filter') ?? '')) return true;
    return false;
  };
  /** A paint as one colour: plain colours as they are, gradients by the mean of their stops. */
  const paint = (value: string, svg: SVGSVGElement): { rgb: Rgb; alpha: number } | null => {
    const ref = /url\(["']?#([^"')]+)["']?\)/.exec(value);
    if (!ref) return colour(value);
    const gradient = svg.querySelector(`[id="${CSS.escape(ref[1])}"]`);
    const stops = gradient ? [...gradient.querySelectorAll('stop')].map((stop) => {
      const style = getComputedStyle(stop);
      const c = colour(style.stopColor);
      return c ? { rgb: c.rgb, alpha: c.alpha * Number(style.stopOpacity || 1) } : null;
    }).filter((c): c is { rgb: Rgb; alpha: number } => c !== null) : [];
    if (!stops.length) return null;
    const mean = [0, 1, 2].map((i) => stops.reduce((sum, s) => sum + s.rgb[i], 0) / stops.length) as Rgb;
    return { rgb: mean, alpha: stops.reduce((sum, s) => sum + s.alpha, 0) / stops.length };
  };

  const host = document.createElement('div');
  host.style.cssText = 'position:absolute;left:0;top:0;margin:0;padding:0;line-height:0';
  document.body.style.margin = '0';
  document.body.appendChild(host);
  const results: InPageResult[] = [];
  for (const item of items) {
    const findings: GateFinding[] = [];
    const add = (check: GateCheck, subject: string, measured: number, required: number) =>
      findings.push({ item: item.id, check, subject, measured: Math.round(measured * 100) / 100, required });
    host.innerHTML = item.svg;
    const svg = host.querySelector('svg')!;
    const box = svg.getBoundingClientRect();
    const background = colour(item.background)!.rgb;
    // The text-less drawing: every text's fill made transparent inline and !important (which no
    // style sheet overrides), its stroke left, so a label's own halo counts as what it is read against.
    const bare = svg.cloneNode(true) as SVGSVGElement;
    for (const text of bare.querySelectorAll<SVGElement>('text, text *')) text.style.setProperty('fill', 'transparent', 'important');
    const hidden = new XMLSerializer().serializeToString(bare);
    const [full, blank] = await Promise.all([draw(item.svg, box.width, box.height, item.background), draw(hidden, box.width, box.height, item.background)]);
    const width = full.canvas.width;
    const height = full.canvas.height;
    const px = (x: number, y: number) => (y * width + x) * 4;

    // Texts.
    type Text = { element: SVGTextElement; label: string; rect: { l: number; t: number; r: number; b: number } };
    const texts: Text[] = [];
    for (const element of svg.querySelectorAll('text')) {
      if (element.closest(SKIP)) continue;
      const label = (element.textContent ?? '').replace(/\s+/g, ' ').trim();
      const style = getComputedStyle(element);
      if (!label || style.visibility === 'hidden' || style.display === 'none' || opacityOf(element, svg) < 0.05) continue;
      const dom = element.getBoundingClientRect();
      if (dom.width * dom.height < 1) continue;
      // The text's box on the canvas, in device pixels, a little wider for glyphs that overhang it.
      // Upright text keeps to its line box less the top sixth, which no Latin glyph reaches (Noto's
      // ascent is 1.07 em, its ascenders 0.76 em): so the ink of the line above never counts as its own.
      const ctm = element.getScreenCTM();
      const upright = !ctm || (Math.abs(ctm.b) < 0.01 && Math.abs(ctm.c) < 0.01);
      const x0 = Math.max(0, Math.floor((dom.left - box.left - 2) * SCALE));
      const y0 = Math.max(0, Math.floor((dom.top - box.top + (upright ? 0.18 * dom.height : -2)) * SCALE));
      const x1 = Math.min(width, Math.ceil((dom.right - box.left + 2) * SCALE));
      const y1 = Math.min(height, Math.ceil((dom.bottom - box.top + (upright ? 0 : 2)) * SCALE));
      let most = 0;
      const diffs: number[] = [];
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = px(x, y);
          const d = Math.abs(full.pixels[i] - blank.pixels[i]) + Math.abs(full.pixels[i + 1] - blank.pixels[i + 1]) + Math.abs(full.pixels[i + 2] - blank.pixels[i + 2]);
          diffs.push(d);
          if (d > most) most = d;
        }
      }
      const leaf = [...element.querySelectorAll('tspan')].reverse().find((t) => t.textContent?.trim()) ?? element;
      const fontPx = Number.parseFloat(getComputedStyle(leaf).fontSize) * (ctm ? Math.hypot(ctm.a, ctm.b) : 1);
      const required = fontPx >= limits.largeTextPx - 0.01 ? limits.largeText : limits.text;
      const subject = `${describe(element)} "${label.slice(0, 40)}" ${Math.round(fontPx * 10) / 10}px`;
      let l = Infinity, t = Infinity, r = -Infinity, b = -Infinity;
      if (most <= 24) {
        // No ink to speak of: the text is drawn in (nearly) the colour beneath it.
        add('text-contrast', subject, 1, required);
        texts.push({ element, label, rect: { l: dom.left - box.left, t: dom.top - box.top, r: dom.right - box.left, b: dom.bottom - box.top } });
        continue;
      }
      const ratios: number[] = [];
      const w = x1 - x0;
      for (let k = 0; k < diffs.length; k++) {
        if (diffs[k] < 24) continue;
        const x = x0 + (k % w);
        const y = y0 + Math.floor(k / w);
        if (x < l) l = x;
        if (x > r) r = x;
        if (y < t) t = y;
        if (y > b) b = y;
        if (diffs[k] >= 0.6 * most) {
          const i = px(x, y);
          ratios.push(contrast(full.pixels.subarray(i, i + 3), blank.pixels.subarray(i, i + 3)));
        }
      }
      ratios.sort((p, q) => p - q);
      // The median of the ink's core: one stray pixel neither passes nor fails a label.
      const measured = ratios[Math.floor(ratios.length / 2)];
      if (measured < required) add('text-contrast', subject, measured, required);
      texts.push({ element, label, rect: { l: l / SCALE, t: t / SCALE, r: (r + 1) / SCALE, b: (b + 1) / SCALE } });
    }

    // Lines and shapes: what each element is, then how it stands out from what lies under it.
    const svgArea = box.width * box.height;
    type Shape = { element: SVGGeometryElement; area: number; rect: DOMRect; fill: Rgb | null; isDecorative: boolean };
    type Graphic = { element: SVGGeometryElement; rect: DOMRect; isLine: boolean; fill: Rgb | null; fillAlpha: number; stroke: Rgb | null; strokeAlpha: number; length: number; multiply: boolean };
    /** Whether the element is multiplied into what lies beneath (mix-blend-mode), as sankey's links are. */
    const multiplied = (element: Element) => {
      for (let e: Element | null = element; e && e !== svg; e = e.parentElement) if (getComputedStyle(e).mixBlendMode === 'multiply') return true;
      return false;
    };
    const containers: Shape[] = [];
    /** Opaque shapes that cover the drawing (a canvas painted in, an SVG source's plate or paper), in document order. */
    const backdrops: Shape[] = [];
    const graphics: Graphic[] = [];
    let lines = 0;
    let shapes = 0;
    for (const element of svg.querySelectorAll<SVGGeometryElement>('rect, circle, ellipse, polygon, polyline, path, line')) {
      if (element.closest(SKIP)) continue;
      const style = getComputedStyle(element);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      const rect = element.getBoundingClientRect();
      const opacity = opacityOf(element, svg);
      if (opacity < 0.05 || (rect.width < 0.5 && rect.height < 0.5)) continue;
      const flip = inverted(element);
      const fillPaint = paint(style.fill, svg);
      const strokePaint = paint(style.stroke, svg);
      const ctm = element.getScreenCTM();
      const scale = ctm ? Math.hypot(ctm.a, ctm.b) : 1;
      const strokePx = Number.parseFloat(style.strokeWidth) * scale;
      const fillAlpha = fillPaint ? Math.min(1, fillPaint.alpha * Number(style.fillOpacity || 1) * opacity) : 0;
      // A stroke thinner than a pixel covers that part of the pixels it crosses: it shows as paler.
      const strokeAlpha = strokePaint && strokePx > 0 ? Math.min(1, strokePaint.alpha * Number(style.strokeOpacity || 1) * opacity * Math.min(1, strokePx)) : 0;
      const fill = fillPaint ? (flip ? invert(fillPaint.rgb) : fillPaint.rgb) : null;
      const stroke = strokePaint ? (flip ? invert(strokePaint.rgb) : strokePaint.rgb) : null;
      const tag = element.tagName.toLowerCase();
      const isLine = tag === 'line' || tag === 'polyline' || (tag === 'path' && fillAlpha < 0.05);
      const area = rect.width * rect.height;
      const isBackdrop = area >= 0.9 * svgArea;
      const isDecorative = element.matches(decorative);
      if (!isLine && isBackdrop && fillAlpha >= 0.99 && fill) backdrops.push({ element, area, rect, fill, isDecorative });
      if (!isLine && fillAlpha >= 0.05 && !isBackdrop && rect.width >= 2 && rect.height >= 2) containers.push({ element, area, rect, fill: fillAlpha >= 0.5 ? fill : null, isDecorative });
      else if (!isLine && strokeAlpha >= 0.05 && tag !== 'path' && !isBackdrop) containers.push({ element, area, rect, fill: null, isDecorative });
      if (isBackdrop || isDecorative) continue;
      const length = isLine ? (typeof element.getTotalLength === 'function' ? element.getTotalLength() * scale : Math.hypot(rect.width, rect.height)) : 0;
      if (isLine ? strokeAlpha < 0.05 || length < 6 : area < 60 || rect.width < 4 || rect.height < 4 || (fillAlpha < 0.05 && strokeAlpha < 0.05)) continue;
      graphics.push({ element, rect, isLine, fill, fillAlpha, stroke, strokeAlpha, length, multiply: multiplied(element) });
    }
    /**
     * What lies under a graphic: the fill of the smallest opaque shape that holds all of it (an
     * icon's tile under the icon, a cluster under its nodes), else the last opaque backdrop drawn
     * before it (the canvas painted in, an SVG source's plate or paper), else the canvas. WCAG
     * 1.4.11 asks for contrast with adjacent colours; for a node on the canvas that is the canvas.
     */
    const under = (graphic: Graphic): Rgb => {
      let best: Shape | null = null;
      const g = graphic.rect;
      for (const shape of containers) {
        const s = shape.rect;
        if (shape.element === graphic.element || !shape.fill || shape.area <= g.width * g.height) continue;
        if (g.left < s.left - 0.5 || g.right > s.right + 0.5 || g.top < s.top - 0.5 || g.bottom > s.bottom + 0.5) continue;
        if (shape.element.compareDocumentPosition(graphic.element) & Node.DOCUMENT_POSITION_PRECEDING) continue;
        if (!best || shape.area < best.area) best = shape;
      }
      if (best) return best.fill!;
      const backdrop = backdrops.filter((shape) => shape.element !== graphic.element && shape.element.compareDocumentPosition(graphic.element) & Node.DOCUMENT_POSITION_FOLLOWING).pop();
      return backdrop ? backdrop.fill! : background;
    };
    /**
     * Mermaid and PlantUML draw many shapes as a fill and a separate, unfilled outline: a path over
     * the same box, a frame around a composite state's header and body, or PlantUML's top and bottom
     * lines along a task that closed days cut. Strokes that run along at least two of a fill's sides
     * are its outline.
     */
    const outlinesOf = (graphic: Graphic): Graphic[] => {
      const g = graphic.rect;
      return graphics.filter((other) => {
        if (other === graphic || other.strokeAlpha < 0.05 || (!other.isLine && other.fillAlpha >= 0.05)) return false;
        const o = other.rect;
        const sides = [
          Math.abs(o.top - g.top) < 3 && o.width >= 0.8 * g.width,
          Math.abs(o.bottom - g.bottom) < 3 && o.width >= 0.8 * g.width,
          Math.abs(o.left - g.left) < 3 && o.height >= 0.8 * g.height,
          Math.abs(o.right - g.right) < 3 && o.height >= 0.8 * g.height,
        ].filter(Boolean).length;
        return sides >= 1 && o.left <= g.right + 1 && o.right >= g.left - 1 && o.top <= g.bottom + 1 && o.bottom >= g.top - 1;
      });
    };
    const sidesCovered = (graphic: Graphic, outlines: Graphic[]) => {
      const g = graphic.rect;
      const covered = new Set<string>();
      for (const { rect: o } of outlines) {
        if (Math.abs(o.top - g.top) < 3 && o.width >= 0.8 * g.width) covered.add('top');
        if (Math.abs(o.bottom - g.bottom) < 3 && o.width >= 0.8 * g.width) covered.add('bottom');
        if (Math.abs(o.left - g.left) < 3 && o.height >= 0.8 * g.height) covered.add('left');
        if (Math.abs(o.right - g.right) < 3 && o.height >= 0.8 * g.height) covered.add('right');
      }
      return covered.size;
    };
    let invisible = 0;
    for (const graphic of graphics) {
      const base = under(graphic);
      const blended = (c: Rgb): Rgb => (graphic.multiply ? (c.map((v, i) => (v * base[i]) / 255) as Rgb) : c);
      const standOut = (c: Rgb | null, alpha: number) => (c && alpha >= 0.05 ? contrast(over(blended(c), alpha, base), base) : 1);
      if (graphic.isLine) {
        lines++;
        const measured = standOut(graphic.stroke, graphic.strokeAlpha);
        if (measured < limits.graphic) add('graphic-contrast', `line ${describe(graphic.element)} ${Math.round(graphic.length)}px`, measured, limits.graphic);
      } else {
        shapes++;
        const outlines = [...(graphic.strokeAlpha >= 0.05 ? [graphic] : []), ...outlinesOf(graphic)];
        const framed = graphic.strokeAlpha >= 0.05 || sidesCovered(graphic, outlines) >= 2;
        // (PlantUML strokes a JSON node in its own fill colour and frames it again over the top.)
        const measured = Math.max(standOut(graphic.fill, graphic.fillAlpha), ...(framed ? outlines.map((o) => standOut(o.stroke, o.strokeAlpha)) : [1]));
        // Painted in the very colour beneath it and unframed, a shape shows nothing of its own (a
        // label's backing in draw.io and bpmn-js, a hit area): it is no graphic object, only counted.
        if (measured < 1.05) {
          invisible++;
          continue;
        }
        if (measured < limits.graphic) add('graphic-contrast', `shape ${describe(graphic.element)} ${Math.round(graphic.rect.width)}x${Math.round(graphic.rect.height)}`, measured, limits.graphic);
      }
    }

    // Overflow: a text inside a shape of its own group (a node and its label) keeps its ink inside it.
    const inside = (shape: SVGGeometryElement, x: number, y: number) => {
      const m = shape.getScreenCTM();
      if (!m) return false;
      const point = new DOMPoint(x + box.left, y + box.top).matrixTransform(m.inverse());
      return shape.isPointInFill(point) || shape.isPointInStroke(point);
    };
    /**
     * The group a shape labels: its parent, or its grandparent when the parent holds the shape
     * alone; none when that group holds a whole drawing's texts (PlantUML's gantt and timing charts
     * are flat: a bar does not own the name written from its start).
     */
    const groupOf = (shape: Element): Element | null => {
      const parent = shape.parentElement!;
      const group = parent.querySelector('text') || !parent.parentElement || (parent.parentElement as Element) === svg ? parent : parent.parentElement;
      return group.querySelectorAll('text').length > 30 ? null : group;
    };
    for (const text of texts) {
      const { l, t, r, b } = text.rect;
      const cx = (l + r) / 2;
      const cy = (t + b) / 2;
      let home: Shape | null = null;
      for (const shape of containers) {
        const s = shape.rect;
        if (shape.isDecorative || cx < s.left - box.left || cx > s.right - box.left || cy < s.top - box.top || cy > s.bottom - box.top) continue;
        // A shape less than half a label's size each way is no box for it (a separator's rule, an activation bar).
        if (s.width < 0.5 * (r - l) || s.height < 0.5 * (b - t)) continue;
        if (home && shape.area >= home.area) continue;
        if (groupOf(shape.element)?.contains(text.element) && inside(shape.element, cx, cy)) home = shape;
      }
      if (!home) continue;
      const m = text.element.getScreenCTM();
      let points: number[][];
      if (m && Math.abs(m.b) > 0.01) {
        // A turned label: the ends of its own box along its baseline, turned as it is.
        const own = text.element.getBBox();
        points = [[own.x + 2, own.y + own.height / 2], [own.x + own.width - 2, own.y + own.height / 2]].map(([x, y]) => {
          const p = new DOMPoint(x, y).matrixTransform(m);
          return [p.x - box.left, p.y - box.top];
        });
      } else {
        const inset = 1;
        points = [[l + inset, cy], [r - inset, cy], [cx, t + inset], [cx, b - inset]];
      }
      const out = points.filter(([x, y]) => !inside(home!.element, x, y));
      if (out.length) add('overflow', `${describe(text.element)} "${text.label.slice(0, 40)}" out of ${describe(home.element)}`, out.length, 0);
    }

    // Overlap: no two texts' inks cross.
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i].rect;
        const c = texts[j].rect;
        const ix = Math.min(a.r, c.r) - Math.max(a.l, c.l);
        const iy = Math.min(a.b, c.b) - Math.max(a.t, c.t);
        if (ix > 1 && iy > 1) add('overlap', `"${texts[i].label.slice(0, 30)}" and "${texts[j].label.slice(0, 30)}"`, Math.round(ix * iy), 0);
      }
    }

    results.push({ item: item.id, findings, texts: texts.length, lines, shapes, invisible, thumbnail: await thumbnailOf(full.canvas) });
    host.innerHTML = '';
    opacities.clear();
  }
  host.remove();
  return results;
}
