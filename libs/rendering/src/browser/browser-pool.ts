import { Logger } from '@nestjs/common';
import puppeteer, { Browser, Page } from 'puppeteer';
import { metrics } from '@flowsmith/observability';
import { CHROMIUM_ARGS } from './chromium-args';

export { CHROMIUM_ARGS } from './chromium-args';

export interface BrowserPoolOptions {
  executablePath: string;
  /** Warm pages, and so renders that can run at once. */
  size: number;
  /** A page is replaced after this many renders, to bound its memory. */
  maxRendersPerPage: number;
  /** The browser is relaunched after this many renders. */
  maxRendersPerBrowser: number;
  /**
   * Kinds of page, one per browser engine (mermaid, draw.io, BPMN), each prepared by its own
   * `setup` (which loads that engine's scripts inline). Each kind has `size` slots; an `eager` kind
   * is warmed when the browser starts, the others on their first render and then kept warm.
   */
  kinds: Record<string, PageKind>;
}

export interface PageKind {
  setup: (page: Page) => Promise<void>;
  eager?: boolean;
}

export class RenderTimeoutError extends Error {
  constructor(ms: number, message = `The render did not finish within ${ms} ms.`) {
    super(message);
    this.name = 'RenderTimeoutError';
  }
}

/**
 * The page's renderer process died (killed, out of memory) under a render. Nothing in the source
 * is known to be at fault, so this is thrown, not a RenderFailure: the job is retried, on a fresh
 * page.
 */
export class PageCrashedError extends Error {
  constructor() {
    super('The browser page crashed during the render; it has been replaced.');
    this.name = 'PageCrashedError';
  }
}

export interface PageOptions {
  /** Work of the best-effort lane (libs/contracts/src/fairness.ts): never takes a kind's last warm page. */
  bestEffort?: boolean;
  /** When the caller stops waiting (epoch ms): waiting for a page gives up then, and the work on it is cut short (RenderTimeoutError). */
  deadline?: number;
}

interface Slot {
  kind: string;
  page: Page | null;
  warming: Promise<Page> | null;
  renders: number;
  busy: boolean;
  /** While a render runs on the slot's page: fails it at once if the page crashes. */
  crashed?: (error: Error) => void;
  /** The slot's page crashed: closing it may not answer, and that is no reason to relaunch Chromium. */
  dead?: boolean;
}

const CLOSE_TIMEOUT_MS = 3000;
/** After a relaunch that failed (five attempts), the next try: the pool keeps trying while open. */
const RELAUNCH_RETRY_MS = 5000;

function within<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(onTimeout()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * One Chromium per worker process with a pool of warm pages. A page that throws or hangs is
 * replaced; a browser that crashes or disconnects is relaunched, and the renders it held fail so
 * that their jobs are retried. Pages and the browser are recycled after a number of renders.
 */
export class BrowserPool {
  private readonly logger = new Logger(BrowserPool.name);
  private browser: Browser | null = null;
  private launching: Promise<void> | null = null;
  private readonly slots: Slot[];
  private readonly waiters = new Map<string, Array<() => void>>();
  /** Kinds whose pages are kept warm: the eager ones, and every kind that has rendered since start. */
  private readonly warmKinds = new Set<string>();
  private rendersSinceLaunch = 0;
  private draining = false;
  private closed = false;
  /** Browser launches after the first: crashes, disconnects and recycling. */
  restarts = 0;
  renders = 0;

  constructor(private readonly options: BrowserPoolOptions) {
    this.slots = Object.keys(options.kinds).flatMap((kind) => Array.from({ length: options.size }, (): Slot => ({ kind, page: null, warming: null, renders: 0, busy: false })));
    for (const [kind, spec] of Object.entries(options.kinds)) {
      this.waiters.set(kind, []);
      if (spec.eager) this.warmKinds.add(kind);
    }
  }

  /** Renders of one kind that can run at once. */
  get size(): number {
    return this.options.size;
  }

  async start(): Promise<void> {
    await this.launch();
  }

  async close(): Promise<void> {
    this.closed = true;
    const browser = this.browser;
    this.browser = null;
    await browser?.close().catch(() => undefined);
  }

  /** The browser's process id, for health checks and fault tests. */
  browserPid(): number | undefined {
    return this.browser?.process()?.pid;
  }

  /**
   * Runs `work` on a warm page of `kind`, within `timeoutMs` from when it has the page, or less
   * when the caller's deadline comes first, so a render whose caller has gone lets go of its page
   * at that moment. A failure or timeout retires the page.
   */
  async withPage<T>(kind: string, work: (page: Page) => Promise<T>, timeoutMs: number, options: PageOptions = {}): Promise<T> {
    if (!this.options.kinds[kind]) throw new Error(`No page kind ${kind}`);
    if (!this.warmKinds.has(kind)) {
      this.warmKinds.add(kind);
      for (const slot of this.slots) if (slot.kind === kind) this.warm(slot);
    }
    const slot = await this.acquire(kind, options.bestEffort ?? false, options.deadline);
    let broken = false;
    try {
      const page = await this.pageFor(slot);
      const limitMs = options.deadline === undefined ? timeoutMs : Math.max(1, Math.min(timeoutMs, Math.round(options.deadline - Date.now())));
      // A crash of the page's renderer rejects at once: the render it held would otherwise wait
      // for its timeout, and every render sent to that page after it too.
      const crashed = new Promise<never>((_, reject) => (slot.crashed = reject));
      const running = work(page);
      running.catch(() => undefined); // it may fail after the crash answered
      return await within(Promise.race([running, crashed]), limitMs, () => new RenderTimeoutError(limitMs));
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      slot.crashed = undefined;
      this.release(slot, broken);
    }
  }

  private async launch(): Promise<void> {
    if (this.launching) return this.launching;
    this.launching = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const browser = await puppeteer.launch({
            executablePath: this.options.executablePath,
            headless: true,
            args: CHROMIUM_ARGS,
            protocolTimeout: 30_000,
            // DevTools over a pipe rather than a port: Chromium exits when the pipe closes, so a
            // worker killed with SIGKILL leaves no orphaned browser behind.
            pipe: true,
            userDataDir: undefined,
            // The worker's own shutdown closes the browser once the jobs in hand have drained
            // (render.processor.ts); Puppeteer's default would kill it at the first SIGTERM, INT or
            // HUP, failing those very jobs mid-render.
            handleSIGTERM: false,
            handleSIGINT: false,
            handleSIGHUP: false,
          });
          browser.once('disconnected', () => this.onDisconnected(browser));
          this.browser = browser;
          this.rendersSinceLaunch = 0;
          this.warmAfterLaunch();
          return;
        } catch (error) {
          if (this.closed || attempt >= 5) throw error;
          this.logger.warn(`Chromium did not start (attempt ${attempt}): ${(error as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
        }
      }
    })().finally(() => {
      this.launching = null;
    });
    return this.launching;
  }

  /**
   * Warms the new browser's pages, the ones renders are waiting for first: after a crash or a
   * recycle, the kinds with renders in hand or queued (at boot, the first eager kind: mermaid) get
   * their pages before the other kinds start theirs, so the waiting renders do not share the CPU
   * with page setups nobody needs yet (on 2 busy cores, six setups at once outlasted the 10 s budget).
   */
  private warmAfterLaunch(): void {
    const warm = this.slots.filter((slot) => this.warmKinds.has(slot.kind) || slot.busy);
    const wanted = new Set(warm.filter((slot) => slot.busy || (this.waiters.get(slot.kind)?.length ?? 0) > 0).map((slot) => slot.kind));
    if (wanted.size === 0 && warm.length > 0) wanted.add(warm[0].kind);
    const first = warm.filter((slot) => wanted.has(slot.kind));
    for (const slot of first) this.warm(slot);
    const browser = this.browser;
    void Promise.allSettled(first.map((slot) => slot.warming)).then(() => {
      if (this.browser !== browser) return;
      for (const slot of warm) if (!wanted.has(slot.kind)) this.warm(slot);
    });
  }

  private onDisconnected(browser: Browser): void {
    if (this.browser !== browser) return; // an old browser we closed on purpose
    this.browser = null;
    for (const slot of this.slots) {
      slot.page = null;
      slot.warming = null;
      slot.renders = 0;
    }
    if (this.closed) return;
    this.restarts++;
    metrics.engineRestarts.inc({ engine: 'chromium', reason: 'disconnected' });
    this.logger.warn('Chromium disconnected; relaunching');
    this.relaunch();
  }

  /** Relaunches until it works or the pool closes: a browser that cannot start now may later. */
  private relaunch(): void {
    void this.launch().catch((error: Error) => {
      if (this.closed) return;
      this.logger.error(`Chromium relaunch failed: ${error.message}; trying again in ${RELAUNCH_RETRY_MS / 1000} s`);
      setTimeout(() => {
        if (!this.closed && !this.browser) this.relaunch();
      }, RELAUNCH_RETRY_MS).unref();
    });
  }

  /**
   * A page's renderer process died. The render on it (if any) fails at once as PageCrashedError
   * and the slot gets a fresh page; an idle page is replaced before anyone draws on it.
   */
  private onPageCrashed(slot: Slot, page: Page): void {
    if (slot.page !== page) return; // still warming (its setup fails on its own) or already replaced
    metrics.engineRestarts.inc({ engine: 'chromium', reason: 'page_crashed' });
    this.logger.warn(`a ${slot.kind} page crashed; replacing it`);
    slot.dead = true;
    if (slot.busy && slot.crashed) return slot.crashed(new PageCrashedError());
    if (!slot.busy) this.retire(slot);
  }

  /** Starts preparing a page for a slot in the background, so the next render finds it warm. */
  private warm(slot: Slot): void {
    if (slot.page || slot.warming || !this.browser) return;
    const browser = this.browser;
    slot.warming = (async () => {
      const page = await browser.newPage();
      await page.setRequestInterception(true);
      // The page may load nothing from anywhere: its scripts are injected inline.
      page.on('request', (request) => void (request.url() === 'about:blank' ? request.continue() : request.abort('blockedbyclient')).catch(() => undefined));
      // Puppeteer's 'error' event is the renderer's crash (Inspector.targetCrashed).
      page.on('error', () => this.onPageCrashed(slot, page));
      await this.options.kinds[slot.kind].setup(page);
      return page;
    })();
    slot.warming
      .then((page) => {
        if (this.browser !== browser) return void page.close().catch(() => undefined);
        slot.page = page;
        // A warm page may let best-effort work in.
        this.wakeKind(slot.kind);
      })
      .catch((error: Error) => this.logger.warn(`page setup failed: ${error.message}`))
      .finally(() => {
        slot.warming = null;
      });
  }

  private async pageFor(slot: Slot): Promise<Page> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.launching) await this.launching;
      if (!this.browser) await this.launch();
      if (slot.page) return slot.page;
      this.warm(slot);
      if (slot.warming) await slot.warming.catch(() => undefined);
      if (slot.page) return slot.page;
    }
    throw new Error('No browser page could be prepared');
  }

  private async acquire(kind: string, bestEffort: boolean, deadline?: number): Promise<Slot> {
    const waiters = this.waiters.get(kind)!;
    for (;;) {
      if (this.closed) throw new Error('The browser pool is closed');
      if (deadline !== undefined && Date.now() >= deadline) throw new RenderTimeoutError(0, 'No browser page came free before the caller stopped waiting.');
      // A warm page first; otherwise any free slot of the kind, which warms on demand.
      const free = this.draining ? [] : this.slots.filter((s) => s.kind === kind && !s.busy);
      const slot = free.find((s) => s.page) ?? free[0];
      if (slot && (!bestEffort || this.leavesWarmPage(kind, slot))) {
        slot.busy = true;
        return slot;
      }
      // Wait to be woken (a page released or warmed), or until the caller's deadline.
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        if (deadline !== undefined) timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      }).finally(() => clearTimeout(timer));
    }
  }

  /**
   * Best-effort work may take a page only while another page of its kind stays free and warm, so
   * paying work always finds one at once, also while a page that best-effort work broke (a render
   * cut off at its deadline) is being replaced. With one page per kind the two share it.
   */
  private leavesWarmPage(kind: string, taking: Slot): boolean {
    const same = this.slots.filter((s) => s.kind === kind);
    if (same.length <= 1) return true;
    const others = same.filter((s) => s !== taking && !s.busy);
    // A free page that is cold (its setup failed, or it was retired) is warmed now: nothing else
    // would warm it while only best-effort work asks, and that work would wait for it for ever.
    for (const slot of others) if (!slot.page && !slot.warming) this.warm(slot);
    return others.some((s) => s.page !== null);
  }

  /** Wakes every waiter of a kind: a best-effort waiter that may not take the page waits again, and must not hold up the others. */
  private wakeKind(kind: string): void {
    this.waiters.get(kind)!.splice(0).forEach((wake) => wake());
  }

  private wakeAll(): void {
    for (const waiters of this.waiters.values()) waiters.splice(0).forEach((wake) => wake());
  }

  private release(slot: Slot, broken: boolean): void {
    slot.renders++;
    this.renders++;
    this.rendersSinceLaunch++;
    if (broken || slot.renders >= this.options.maxRendersPerPage) this.retire(slot);
    slot.busy = false;
    if (this.rendersSinceLaunch >= this.options.maxRendersPerBrowser && !this.draining) this.draining = true;
    if (this.draining && this.slots.every((s) => !s.busy)) void this.recycleBrowser();
    else if (!this.draining) this.wakeKind(slot.kind);
  }

  /** Closes a slot's page (killing its renderer if it hangs) and warms a new one. */
  private retire(slot: Slot): void {
    const page = slot.page;
    const dead = slot.dead;
    slot.page = null;
    slot.renders = 0;
    slot.dead = false;
    if (page && dead) {
      // Warm the replacement now, not after the close: the crashed target may never answer.
      void within(page.close(), CLOSE_TIMEOUT_MS, () => new Error('page.close timed out')).catch(() => undefined);
      this.warm(slot);
    } else if (page) {
      within(page.close(), CLOSE_TIMEOUT_MS, () => new Error('page.close timed out'))
        .catch(() => {
          // A renderer stuck in a loop may not close: start the browser afresh.
          this.logger.warn('a page would not close; relaunching Chromium');
          if (this.browser) void this.browser.close().catch(() => undefined);
        })
        .finally(() => this.warm(slot));
    } else {
      this.warm(slot);
    }
  }

  private async recycleBrowser(): Promise<void> {
    const old = this.browser;
    this.browser = null;
    for (const slot of this.slots) {
      slot.page = null;
      slot.warming = null;
      slot.renders = 0;
    }
    this.restarts++;
    metrics.engineRestarts.inc({ engine: 'chromium', reason: 'recycled' });
    await old?.close().catch(() => undefined);
    try {
      await this.launch();
    } finally {
      this.draining = false;
      this.wakeAll();
    }
  }
}
