export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
  /** The body as sent, for images. */
  bytes: Buffer;
}

export interface RequestOptions {
  key?: string;
  body?: unknown;
  /** Sent as is, for malformed JSON and odd content types. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

/** A thin fetch wrapper for specs: real HTTP against a listening gateway. */
export class TestClient {
  constructor(
    readonly baseUrl: string,
    readonly key?: string,
  ) {}

  withKey(key: string | undefined): TestClient {
    return new TestClient(this.baseUrl, key);
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key ?? this.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let body: string | Buffer | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    // A Buffer is a body fetch takes; the cast is for the DOM typings a browser-side spec helper
    // brings into the program (libs/rendering/test/quality-gate.ts), where BodyInit wants an ArrayBuffer view.
    const response = await fetch(this.baseUrl + path, { method, headers, body: body as unknown as RequestInit['body'] });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = bytes.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text, bytes };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T = any>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>('POST', path, { ...options, body });
  }
  patch<T = any>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>('PATCH', path, { ...options, body });
  }
  delete<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }
}
