import { FlowsmithTimeoutError, parseRetryAfter } from './errors';
import { ROUTES } from './routes';
import { FetchLike, sleep, Transport } from './transport';
import type {
  AiGeneration, AiRepair, ApiKey, CreatedWebhookEndpoint, CreateWebhookEndpointParams, EditDiagramParams, RepairParams, RotateWebhookSecretParams, UpdateWebhookEndpointParams, WebhookDelivery, WebhookEndpoint, BeautifyParams, BinaryResponse, CreatedApiKey, CreateDiagramParams, CreateFolderParams, CreateKeyParams, CreateShareParams,
  DeletedResource, Diagram, DiagramImageParams, DiagramRevision, EmbedParams, ExportParams, Folder, GenerateParams, Generation, HealthStatus, KeyIdentity, ListDiagramsParams,
  ListFoldersParams, ListPage, ListParams, OutputFormat, ReadinessStatus, Render, RequestOptions, Share, SyncGenerateParams, Theme, UpdateDiagramParams,
  UpdateFolderParams, Usage,
} from './types';

export const CLIENT_VERSION = '0.1.0';

export interface FlowsmithClientOptions {
  /** `fs_live_…` or `fs_test_…`; without one the client is the anonymous caller (beautify, export, themes). */
  apiKey?: string;
  /** The gateway's origin, without `/api`. */
  baseUrl?: string;
  /** Node's global fetch unless given (tests pass one to watch requests). */
  fetch?: FetchLike;
  /** Retries after the first attempt, on 429 rate_limited, 503 and network failures. */
  maxRetries?: number;
  /** Appended to `flowsmith-client/<version>`. */
  userAgent?: string;
  /** A `Retry-After` longer than this (ms) is not waited out; the error is thrown. Default 60 s. */
  maxRetryAfterMs?: number;
}

export interface WaitOptions {
  /** Give up (FlowsmithTimeoutError) after this long; default 120 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Pages through a list from its first page (or `params.cursor`) to its end. */
async function* paginate<T, P extends ListParams>(list: (params: P) => Promise<ListPage<T>>, params: P): AsyncGenerator<T, void, undefined> {
  let cursor = params.cursor;
  for (;;) {
    const page = await list({ ...params, cursor });
    yield* page.data;
    if (!page.has_more || !page.next_cursor) return;
    cursor = page.next_cursor;
  }
}

/** UTF-8 → base64url, without Buffer. */
function base64url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

class Diagrams {
  constructor(private readonly t: Transport) {}

  create(params: CreateDiagramParams, options?: RequestOptions): Promise<Diagram> {
    return this.t.json({ route: 'diagrams.create', body: params, options });
  }

  list(params: ListDiagramsParams = {}, options?: RequestOptions): Promise<ListPage<Diagram>> {
    return this.t.json({ route: 'diagrams.list', query: { ...params }, options });
  }

  listAll(params: ListDiagramsParams = {}, options?: RequestOptions): AsyncGenerator<Diagram, void, undefined> {
    return paginate((p) => this.list(p, options), params);
  }

  get(id: string, options?: RequestOptions): Promise<Diagram> {
    return this.t.json({ route: 'diagrams.get', params: { id }, options });
  }

  /** `ifMatch`: the ETag of the revision read (`"r<n>"`); a diagram changed since is a 412 `precondition_failed` FlowsmithError. */
  update(id: string, params: UpdateDiagramParams, options?: RequestOptions & { ifMatch?: string }): Promise<Diagram> {
    return this.t.json({ route: 'diagrams.update', params: { id }, body: params, headers: options?.ifMatch ? { 'if-match': options.ifMatch } : undefined, options });
  }

  /** Asks the model to change the diagram; a Generation of kind `edit` (poll with generations.wait). Success makes a new revision. */
  edit(id: string, params: EditDiagramParams, options?: RequestOptions): Promise<Generation> {
    return this.t.json({ route: 'diagrams.edit', params: { id }, body: params, options });
  }

  delete(id: string, options?: RequestOptions): Promise<DeletedResource> {
    return this.t.json({ route: 'diagrams.delete', params: { id }, options });
  }

  /** The rendered image (PNG by default); never spends quota. */
  image(id: string, params: DiagramImageParams = {}, options?: RequestOptions): Promise<BinaryResponse> {
    const { ifNoneMatch, ...query } = params;
    return this.t.binary({ route: 'diagrams.image', params: { id }, query, headers: ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {}, options });
  }

  /** Every change of the name or source, newest first. */
  listRevisions(id: string, params: ListParams = {}, options?: RequestOptions): Promise<ListPage<DiagramRevision>> {
    return this.t.json({ route: 'diagrams.revisions', params: { id }, query: { ...params }, options });
  }

  listAllRevisions(id: string, params: ListParams = {}, options?: RequestOptions): AsyncGenerator<DiagramRevision, void, undefined> {
    return paginate((p) => this.listRevisions(id, p, options), params);
  }

  getRevision(id: string, number: number, options?: RequestOptions): Promise<DiagramRevision> {
    return this.t.json({ route: 'diagrams.revision', params: { id, n: String(number) }, options });
  }

  /** Makes a new revision with that revision's name and source (history is only added to); not retried, as it is not idempotent. */
  restoreRevision(id: string, number: number, options?: RequestOptions): Promise<Diagram> {
    return this.t.json({ route: 'diagrams.restore', params: { id, n: String(number) }, options });
  }
}

class Folders {
  constructor(private readonly t: Transport) {}

  create(params: CreateFolderParams, options?: RequestOptions): Promise<Folder> {
    return this.t.json({ route: 'folders.create', body: params, options });
  }

  list(params: ListFoldersParams = {}, options?: RequestOptions): Promise<ListPage<Folder>> {
    return this.t.json({ route: 'folders.list', query: { ...params }, options });
  }

  listAll(params: ListFoldersParams = {}, options?: RequestOptions): AsyncGenerator<Folder, void, undefined> {
    return paginate((p) => this.list(p, options), params);
  }

  get(id: string, options?: RequestOptions): Promise<Folder> {
    return this.t.json({ route: 'folders.get', params: { id }, options });
  }

  update(id: string, params: UpdateFolderParams, options?: RequestOptions): Promise<Folder> {
    return this.t.json({ route: 'folders.update', params: { id }, body: params, options });
  }

  /** A folder that is not empty is 409 folder_not_empty unless `force`, which moves its contents to its parent. */
  delete(id: string, params: { force?: boolean } = {}, options?: RequestOptions): Promise<DeletedResource> {
    return this.t.json({ route: 'folders.delete', params: { id }, query: { force: params.force }, options });
  }
}

class Generations {
  constructor(private readonly t: Transport) {}

  /** Queues a generation (202); follow it with `wait`. */
  create(params: GenerateParams, options?: RequestOptions): Promise<Generation> {
    return this.t.json({ route: 'generations.create', body: params, options });
  }

  get(id: string, options?: RequestOptions): Promise<Generation> {
    return this.t.json({ route: 'generations.get', params: { id }, options });
  }

  list(params: ListParams = {}, options?: RequestOptions): Promise<ListPage<Generation>> {
    return this.t.json({ route: 'generations.list', query: { ...params }, options });
  }

  listAll(params: ListParams = {}, options?: RequestOptions): AsyncGenerator<Generation, void, undefined> {
    return paginate((p) => this.list(p, options), params);
  }

  /**
   * Polls until the generation is `succeeded` or `failed` and returns it (a failed one carries its
   * `error`; nothing is thrown for it). Between polls it waits as long as the server's `Retry-After`
   * says (1 s when absent). Throws FlowsmithTimeoutError after `timeoutMs`, or the signal's reason.
   */
  async wait(id: string, { timeoutMs = 120_000, signal }: WaitOptions = {}): Promise<Generation> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await this.t.send({ route: 'generations.get', params: { id }, options: { signal } });
      const generation = (await response.json()) as Generation;
      if (generation.status === 'succeeded' || generation.status === 'failed') return generation;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new FlowsmithTimeoutError(`Generation ${id} is still ${generation.status} after ${timeoutMs} ms.`, generation);
      const delay = (parseRetryAfter(response.headers.get('retry-after')) ?? 1) * 1000;
      await sleep(Math.min(delay, remaining), signal);
    }
  }
}

class Ai {
  constructor(private readonly t: Transport) {}

  /** Synchronous generation: the Mermaid, saved nowhere. Spends AI quota on success. */
  generate(params: SyncGenerateParams, options?: RequestOptions): Promise<AiGeneration> {
    return this.t.json({ route: 'ai.generate', body: params, options });
  }

  /** A source that parses: unchanged when it already does, else repaired by the model (422 `parse_failed_after_retry` when it cannot be). */
  repair(params: RepairParams, options?: RequestOptions): Promise<AiRepair> {
    return this.t.json({ route: 'ai.repair', body: params, options });
  }
}

class WebhookEndpoints {
  constructor(private readonly t: Transport) {}

  /** The answer carries the signing `secret` (`whsec_…`), shown this once. */
  create(params: CreateWebhookEndpointParams, options?: RequestOptions): Promise<CreatedWebhookEndpoint> {
    return this.t.json({ route: 'webhooks.create', body: params, options });
  }

  list(params: ListParams = {}, options?: RequestOptions): Promise<ListPage<WebhookEndpoint>> {
    return this.t.json({ route: 'webhooks.list', query: { ...params }, options });
  }

  get(id: string, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.t.json({ route: 'webhooks.get', params: { id }, options });
  }

  update(id: string, params: UpdateWebhookEndpointParams, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.t.json({ route: 'webhooks.update', params: { id }, body: params, options });
  }

  /** A new signing secret (in the answer, once); the old one keeps signing beside it for `expires_in_seconds` (a day by default). */
  rotateSecret(id: string, params: RotateWebhookSecretParams = {}, options?: RequestOptions): Promise<CreatedWebhookEndpoint> {
    return this.t.json({ route: 'webhooks.rotateSecret', params: { id }, body: params, options });
  }

  delete(id: string, options?: RequestOptions): Promise<DeletedResource> {
    return this.t.json({ route: 'webhooks.delete', params: { id }, options });
  }

  /** The endpoint's delivery log, newest first. */
  deliveries(id: string, params: ListParams = {}, options?: RequestOptions): Promise<ListPage<WebhookDelivery>> {
    return this.t.json({ route: 'webhooks.deliveries', params: { id }, query: { ...params }, options });
  }

  /** Sends the delivery's event again, as a new delivery with the same event id. */
  replay(id: string, deliveryId: string, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.t.json({ route: 'webhooks.replay', params: { id, delivery_id: deliveryId }, options });
  }
}

class Rendering {
  constructor(private readonly t: Transport) {}

  /** Renders source to SVG (JSON). Not metered. */
  beautify(params: BeautifyParams, options?: RequestOptions): Promise<Render> {
    return this.t.json({ route: 'render.beautify', body: params, options });
  }

  /** The exported file itself; spends one export (never twice for one call, retries included). */
  export(params: ExportParams, options?: RequestOptions): Promise<BinaryResponse> {
    return this.t.binary({ route: 'render.export', body: params, options });
  }

  /** The public, watermarked embed URL of a Mermaid source (`GET /v1/beautify.svg`); nothing is sent. */
  embedUrl(source: string, params: EmbedParams = {}): string {
    return this.t.url(ROUTES['render.embed'].path, { ...params, source: base64url(source) });
  }

  /** Fetches the embed SVG (public; the key is not sent). */
  embed(source: string, params: EmbedParams = {}, options?: RequestOptions): Promise<BinaryResponse> {
    return this.t.binary({ route: 'render.embed', query: { ...params, source: base64url(source) }, anonymous: true, accept: 'image/svg+xml', options });
  }
}

class Shares {
  constructor(private readonly t: Transport) {}

  /** Of a stored diagram (`diagram_id`) or of a source; counts against the plan's share cap. */
  create(params: CreateShareParams, options?: RequestOptions): Promise<Share> {
    return this.t.json({ route: 'shares.create', body: params, options });
  }

  list(params: ListParams = {}, options?: RequestOptions): Promise<ListPage<Share>> {
    return this.t.json({ route: 'shares.list', query: { ...params }, options });
  }

  listAll(params: ListParams = {}, options?: RequestOptions): AsyncGenerator<Share, void, undefined> {
    return paginate((p) => this.list(p, options), params);
  }

  delete(id: string, options?: RequestOptions): Promise<DeletedResource> {
    return this.t.json({ route: 'shares.delete', params: { id }, options });
  }

  /** The public image of a share (unwatermarked; the key is not sent). */
  image(id: string, format: OutputFormat = 'svg', params: { ifNoneMatch?: string } = {}, options?: RequestOptions): Promise<BinaryResponse> {
    const headers: Record<string, string> = params.ifNoneMatch ? { 'if-none-match': params.ifNoneMatch } : {};
    return this.t.binary({ route: 'shares.image', params: { id: `${id}.${format === 'jpeg' ? 'jpg' : format}` }, headers, anonymous: true, options });
  }
}

class Themes {
  constructor(private readonly t: Transport) {}

  list(options?: RequestOptions): Promise<ListPage<Theme>> {
    return this.t.json({ route: 'themes.list', options });
  }
}

class UsageApi {
  constructor(private readonly t: Transport) {}

  get(options?: RequestOptions): Promise<Usage> {
    return this.t.json({ route: 'usage.get', options });
  }
}

class Keys {
  constructor(private readonly t: Transport) {}

  /** The new key with its `secret`, shown this once. Scopes must be a subset of the calling key's. */
  create(params: CreateKeyParams, options?: RequestOptions): Promise<CreatedApiKey> {
    return this.t.json({ route: 'keys.create', body: params, options });
  }

  list(params: ListParams = {}, options?: RequestOptions): Promise<ListPage<ApiKey>> {
    return this.t.json({ route: 'keys.list', query: { ...params }, options });
  }

  listAll(params: ListParams = {}, options?: RequestOptions): AsyncGenerator<ApiKey, void, undefined> {
    return paginate((p) => this.list(p, options), params);
  }

  revoke(id: string, options?: RequestOptions): Promise<ApiKey> {
    return this.t.json({ route: 'keys.revoke', params: { id }, options });
  }
}

class Health {
  constructor(private readonly t: Transport) {}

  live(options?: RequestOptions): Promise<HealthStatus> {
    return this.t.json({ route: 'health.live', anonymous: true, options });
  }

  /** The readiness report; `status: "unavailable"` (a 503) is returned, not thrown, and not retried. */
  ready(options?: RequestOptions): Promise<ReadinessStatus> {
    return this.t.json({ route: 'health.ready', anonymous: true, answers: [503], options: { maxRetries: 0, ...options } });
  }

  /** The gateway's Prometheus text; `metricsToken` is the deployment's METRICS_TOKEN, when it has one. */
  metrics(options: RequestOptions & { metricsToken?: string } = {}): Promise<string> {
    const { metricsToken, ...rest } = options;
    return this.t.text({ route: 'health.metrics', anonymous: true, headers: metricsToken ? { authorization: `Bearer ${metricsToken}` } : undefined, options: rest });
  }
}

/**
 * A typed client of the Flowsmith API. Every method throws FlowsmithError for an error answer and
 * FlowsmithConnectionError when no answer came; 429 rate_limited and 503 are retried as the
 * server's `Retry-After` says (see Transport).
 */
export class FlowsmithClient {
  readonly diagrams: Diagrams;
  readonly folders: Folders;
  readonly generations: Generations;
  readonly ai: Ai;
  readonly render: Rendering;
  readonly shares: Shares;
  readonly webhooks: WebhookEndpoints;
  readonly themes: Themes;
  readonly usage: UsageApi;
  readonly keys: Keys;
  readonly health: Health;
  /** The gateway's origin, as given (without a trailing slash). */
  readonly baseUrl: string;
  private readonly transport: Transport;

  constructor(options: FlowsmithClientOptions = {}) {
    const baseUrl = (options.baseUrl ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
    this.baseUrl = baseUrl;
    const fetchImpl = options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
    this.transport = new Transport({
      apiKey: options.apiKey,
      baseUrl,
      fetch: fetchImpl,
      maxRetries: options.maxRetries ?? 3,
      userAgent: `flowsmith-client/${CLIENT_VERSION}${options.userAgent ? ` ${options.userAgent}` : ''}`,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
      baseBackoffMs: 500,
      maxBackoffMs: 8_000,
    });
    this.diagrams = new Diagrams(this.transport);
    this.webhooks = new WebhookEndpoints(this.transport);
    this.folders = new Folders(this.transport);
    this.generations = new Generations(this.transport);
    this.ai = new Ai(this.transport);
    this.render = new Rendering(this.transport);
    this.shares = new Shares(this.transport);
    this.themes = new Themes(this.transport);
    this.usage = new UsageApi(this.transport);
    this.keys = new Keys(this.transport);
    this.health = new Health(this.transport);
  }

  /** The calling key: its id, owner, plan and scopes. */
  me(options?: RequestOptions): Promise<KeyIdentity> {
    return this.transport.json({ route: 'me', options });
  }

  /** `generations.wait`: polls a generation as the server asks until it is final. */
  waitForGeneration(id: string, options?: WaitOptions): Promise<Generation> {
    return this.generations.wait(id, options);
  }
}
