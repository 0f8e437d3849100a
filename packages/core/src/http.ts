// The I/O contracts sources are written against. Implementations live in
// @regwatch/fetch; sources only ever see these interfaces through their context.

export interface HttpRequestOptions {
  headers?: Record<string, string>;
  /** Send If-None-Match / If-Modified-Since remembered for this URL (default true). */
  conditional?: boolean;
  /** Override the client's response size cap for this request, in bytes. */
  maxBytes?: number;
  /**
   * Error statuses this caller reads itself (a day's summary not published yet
   * answers 404): returned as a response with their body instead of thrown.
   */
  acceptStatuses?: readonly number[];
  /**
   * Checked before every redirect is followed (an address a user gave must not
   * lead, by a redirect, where it could not go itself): throws to refuse.
   */
  beforeRedirect?: (url: string) => Promise<void>;
}

export interface HttpResponse {
  /** The URL asked for (before REGWATCH_ORIGIN_MAP rewriting): stored as the document's address. */
  url: string;
  status: number;
  /** True for 304: nothing new since the last successful fetch of this URL. */
  notModified: boolean;
  contentType: string | null;
  headers: Record<string, string>;
  body: Uint8Array;
  sha256: string;
  fetchedAt: string;
}

export interface HttpPostOptions {
  headers?: Record<string, string>;
  /** Override the client's response size cap for this request, in bytes. */
  maxBytes?: number;
}

export interface HttpClient {
  get(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  /**
   * A POST (an OAuth token, a search API that takes its query as a body).
   * Never conditional; errors name the URL, never the body, which may hold
   * credentials. Optional so that test fakes of a GET-only source need not
   * carry it.
   */
  post?(url: string, body: string, options?: HttpPostOptions): Promise<HttpResponse>;
}

export interface BrowserPage {
  url: string;
  html: string;
  fetchedAt: string;
}

export interface BrowserClient {
  render(url: string, options?: { waitForSelector?: string; timeoutMs?: number }): Promise<BrowserPage>;
}

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}
