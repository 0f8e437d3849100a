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
  /**
   * Connect only to public addresses (an address a user gave, or a link on a
   * page a stranger wrote): every address the host resolves to is checked
   * (`refusedAddress` in @regwatch/core/addresses) when the connection is
   * made, and the socket goes to the very address that was checked, so a
   * name that resolves elsewhere between an earlier check and the request
   * (DNS rebinding) gains nothing. Applies to every redirect hop the client
   * follows. A refused address fails the request with `UnsafeUrlError`,
   * never retried. With REGWATCH_ORIGIN_MAP the check is of the host
   * actually connected to, the mapped one (a map to 127.0.0.1 is refused).
   */
  publicOnly?: boolean;
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

export interface BrowserRenderOptions {
  waitForSelector?: string;
  timeoutMs?: number;
  /**
   * Let the page reach public addresses only: every request the page makes
   * (its document and each redirect hop, frames, subresources, fetches,
   * workers' requests, WebSockets) is checked against `refusedAddress`
   * before the browser sends it. A refused document of the page fails the
   * render with `UnsafeUrlError`; any other refused request is aborted. With
   * REGWATCH_ORIGIN_MAP the mapped address is the one checked. The browser
   * resolves names itself after the check, so unlike the HTTP client's
   * `publicOnly` this does not close DNS rebinding.
   */
  publicOnly?: boolean;
}

export interface BrowserClient {
  render(url: string, options?: BrowserRenderOptions): Promise<BrowserPage>;
}

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}
