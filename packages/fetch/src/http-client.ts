import { isIP } from "node:net";
import {
  type AddressRefusal,
  describeRefusal,
  guardedLookup,
  PrivateAddressError,
  type ResolveAll,
  refusedAddress,
} from "@regwatch/core/addresses";
import {
  AbortedError,
  RateLimitedError,
  ResponseTooLargeError,
  SourceUnavailableError,
  UnsafeUrlError,
} from "@regwatch/core/errors";
import type {
  HttpClient,
  HttpPostOptions,
  HttpRequestOptions,
  HttpResponse,
  Logger,
} from "@regwatch/core/http";
import { sha256Hex } from "@regwatch/core/text";

/** Validators remembered from the last successful fetch of a URL. */
export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

export interface ValidatorStore {
  get(url: string): Promise<Validators | null>;
}

/** Hands out turns at a host, `intervalMs` apart: the wait in ms before the turn it reserves. */
export interface HostSlots {
  reserve(host: string, intervalMs: number): Promise<number>;
}

/** Turns kept in this process. */
export function localHostSlots(now: () => number = Date.now): HostSlots {
  const nextSlot = new Map<string, number>();
  return {
    async reserve(host, intervalMs) {
      const at = now();
      const slot = Math.max(at, nextSlot.get(host) ?? 0);
      nextSlot.set(host, slot + intervalMs);
      return slot - at;
    },
  };
}

export interface HttpClientOptions {
  userAgent: string;
  timeoutMs: number;
  maxBytes: number;
  /** Minimum gap between two requests to the same host, in ms. */
  hostIntervalMs: number;
  /**
   * Where the turns at each host are kept: in this process by default, in
   * Redis when many workers on many hosts share the politeness interval.
   */
  hostSlots?: HostSlots;
  /** `{"https://www.ecfr.gov": "http://127.0.0.1:4010"}`: sources keep their official URLs, tests and demos answer. */
  originMap?: Record<string, string>;
  validators?: ValidatorStore;
  /** Attempts per request for network errors, 5xx and 429 (default 4). */
  attempts?: number;
  /** First backoff step in ms, doubled each attempt (default 500). */
  backoffMs?: number;
  /** Longest Retry-After we are willing to sleep through inside one request (default 60 s). */
  maxRetryAfterMs?: number;
  log?: Logger;
  /**
   * Client-wide stop: when it aborts, every request in flight, backoff sleep
   * and per-host wait ends at once with AbortedError, and so does every later
   * request. The service aborts it when it is told to stop.
   */
  signal?: AbortSignal;
  /** Waits `ms`; may end early when `signal` aborts (the client stops waiting either way). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => Date;
  /**
   * How `publicOnly` connections resolve names (the system resolver by
   * default). Tests inject one to play a DNS rebinding without a network.
   */
  resolve?: ResolveAll;
}

/** A timer that is cleared on abort, so a long Retry-After does not keep a stopping process alive. */
function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Rewrites an official URL to the mapped origin, keeping path and query. */
export function mapOrigin(url: string, originMap: Record<string, string> | undefined): string {
  if (!originMap) return url;
  const u = new URL(url);
  // "*" sends every origin not named elsewhere: a test or an offline mirror catching all.
  const target = originMap[u.origin] ?? originMap[`${u.origin}/`] ?? originMap["*"];
  if (!target) return url;
  const t = new URL(target);
  const base = t.pathname.replace(/\/$/, "");
  return `${t.origin}${base}${u.pathname}${u.search}`;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(header: string | null, now: Date): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/** A URL as errors show it: long search queries shortened, the endpoint kept. */
export function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search.length > 60 ? "?…" : u.search}`;
  } catch {
    return url;
  }
}

/** Header names as one case, so a caller's `Accept` replaces the default `accept` instead of joining it. */
function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

/** One request as `once` sends it. */
interface RequestInit {
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  acceptStatuses?: readonly number[];
  beforeRedirect?: (url: string) => Promise<void>;
  publicOnly?: boolean;
}

/** Redirects followed by hand (when each must be checked) before giving up. */
const MAX_REDIRECTS = 5;

class RetryableError extends Error {
  constructor(
    message: string,
    readonly waitMs: number | null,
    readonly rateLimited: boolean,
  ) {
    super(message);
  }
}

/** The fetch `publicOnly` requests go through, with its dispatcher. */
interface GuardedTransport {
  fetch: typeof import("undici").fetch;
  dispatcher: import("undici").Dispatcher;
}

/**
 * undici's own fetch with an Agent whose connector refuses non-public
 * addresses: IP literals here (Node's `net` does not call `lookup` for
 * them), names through `guardedLookup`, the `lookup` of the socket itself,
 * so the address checked is the address connected to. undici's fetch rather
 * than Node's: handing an undici 7 dispatcher to Node 20's built-in fetch
 * (undici 6 inside) mixes two dispatcher interfaces, which works today for
 * plain requests and has broken across versions.
 */
async function guardedTransport(resolve: ResolveAll | undefined): Promise<GuardedTransport> {
  const { Agent, buildConnector, fetch: undiciFetch } = await import("undici");
  const connectByName = buildConnector({ lookup: guardedLookup({ resolve }) });
  const dispatcher = new Agent({
    connect(options, callback) {
      // undici hands IPv6 literals over without their brackets.
      const reason = isIP(options.hostname) ? refusedAddress(options.hostname) : null;
      if (reason) {
        const address = options.hostname;
        callback(new PrivateAddressError({ hostname: address, address, reason }), null);
        return;
      }
      connectByName(options, callback);
    },
  });
  return { fetch: undiciFetch, dispatcher };
}

/** The address refusal behind a failed fetch ("fetch failed", caused by the connector's error), if any. */
function refusalIn(err: unknown): AddressRefusal | null {
  let at: unknown = err;
  for (let depth = 0; depth < 5 && at; depth++) {
    if (at instanceof PrivateAddressError) return at;
    if (at instanceof AggregateError) {
      const inner = at.errors.find((e) => e instanceof PrivateAddressError) as
        | PrivateAddressError
        | undefined;
      if (inner) return inner;
    }
    at = (at as { cause?: unknown }).cause;
  }
  return null;
}

async function readCapped(response: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new ResponseTooLargeError(
      `${shortUrl(url)}: body of ${declared} bytes is over the ${maxBytes}-byte cap`,
    );
  }
  if (!response.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new ResponseTooLargeError(`${shortUrl(url)}: body exceeds the ${maxBytes}-byte cap`);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    body.set(c, offset);
    offset += c.byteLength;
  }
  return body;
}

/**
 * The HTTP client every source fetches through: timeouts, retries with
 * backoff (network errors, 5xx, 429 with Retry-After), conditional requests,
 * a response size cap, one request per host per interval, and a descriptive
 * User-Agent. Bodies are returned as bytes; decoding is the parser's job,
 * with the Content-Type handed along.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? (() => new Date());
  const attempts = options.attempts ?? 4;
  const backoffMs = options.backoffMs ?? 500;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const hostSlots = options.hostSlots ?? localHostSlots();
  const { signal } = options;
  // One guarded agent per client, made on the first publicOnly request: its
  // pooled connections were each checked when they were made.
  let guarded: Promise<GuardedTransport> | undefined;

  const abandoned = (url: string) => new AbortedError(`${shortUrl(url)}: abandoned, the service is stopping`);

  function throwIfStopping(url: string) {
    if (signal?.aborted) throw abandoned(url);
  }

  /** `sleep`, cut short by the client-wide signal with AbortedError. */
  function pause(ms: number, url: string): Promise<void> {
    if (!signal) return sleep(ms);
    throwIfStopping(url);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(abandoned(url));
      signal.addEventListener("abort", onAbort, { once: true });
      sleep(ms, signal).then(
        () => {
          signal.removeEventListener("abort", onAbort);
          if (signal.aborted) onAbort();
          else resolve();
        },
        (err: unknown) => {
          signal.removeEventListener("abort", onAbort);
          if (signal.aborted) onAbort();
          else reject(err);
        },
      );
    });
  }

  async function politeTurn(host: string, url: string) {
    if (options.hostIntervalMs <= 0) return;
    const wait = await hostSlots.reserve(host, options.hostIntervalMs);
    if (wait > 0) await pause(wait, url);
  }

  async function once(url: string, target: string, init: RequestInit, maxBytes: number) {
    await politeTurn(new URL(target).host, url);
    throwIfStopping(url);
    let transport: GuardedTransport | null = null;
    if (init.publicOnly) {
      guarded ??= guardedTransport(options.resolve);
      transport = await guarded;
    }
    const timeout = AbortSignal.timeout(options.timeoutMs);
    let response: Response;
    try {
      const sent = {
        method: init.method,
        headers: init.headers,
        body: init.body,
        // Checked redirects are followed by `request`, one hop at a time.
        redirect: init.beforeRedirect ? ("manual" as const) : ("follow" as const),
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      };
      // A publicOnly request's redirects, followed by fetch or by `request`, go through the same agent.
      // undici's Response has the shape of Node's (status, headers, a web ReadableStream body); only its types are another copy.
      response = transport
        ? ((await transport.fetch(target, {
            ...sent,
            dispatcher: transport.dispatcher,
          })) as unknown as Response)
        : await fetch(target, sent);
    } catch (err) {
      throwIfStopping(url);
      const refusal = refusalIn(err);
      // Not a network error: the address will not become public by trying again.
      if (refusal)
        throw new UnsafeUrlError(
          `${shortUrl(url)}: refused when connecting: ${describeRefusal(refusal)} (only public addresses may be reached)`,
        );
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const what = cause?.code ?? cause?.message ?? (err as Error).message ?? "network error";
      throw new RetryableError(`${shortUrl(url)}: ${what}`, null, false);
    }
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel();
      const wait = retryAfterMs(response.headers.get("retry-after"), now());
      throw new RetryableError(`${shortUrl(url)}: HTTP ${response.status}`, wait, response.status === 429);
    }
    if (response.status === 304) {
      await response.body?.cancel();
      return { response, body: new Uint8Array() };
    }
    if (response.status >= 400 && !init.acceptStatuses?.includes(response.status)) {
      await response.body?.cancel();
      throw new SourceUnavailableError(`${shortUrl(url)}: HTTP ${response.status}`);
    }
    try {
      return { response, body: await readCapped(response, maxBytes, url) };
    } catch (err) {
      throwIfStopping(url);
      if (err instanceof ResponseTooLargeError) throw err;
      throw new RetryableError(`${shortUrl(url)}: body interrupted (${(err as Error).name})`, null, false);
    }
  }

  /** One request with retries: network errors, 5xx and 429 are tried again with backoff. */
  async function request(url: string, init: RequestInit, maxBytes: number): Promise<HttpResponse> {
    if (!init.beforeRedirect) return requestOnce(url, init, maxBytes);
    // Every hop checked before it is taken; the answer keeps the address asked for.
    let at = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const answer = await requestOnce(
        at,
        { ...init, acceptStatuses: [...(init.acceptStatuses ?? []), 301, 302, 303, 307, 308] },
        maxBytes,
      );
      const location = answer.headers.location;
      if (![301, 302, 303, 307, 308].includes(answer.status) || !location) return { ...answer, url };
      let next: string;
      try {
        next = new URL(location, at).href;
      } catch {
        throw new SourceUnavailableError(`${shortUrl(at)}: redirects to an unreadable address`);
      }
      await init.beforeRedirect(next);
      at = next;
    }
    throw new SourceUnavailableError(`${shortUrl(url)}: more than ${MAX_REDIRECTS} redirects`);
  }

  async function requestOnce(url: string, init: RequestInit, maxBytes: number): Promise<HttpResponse> {
    const target = mapOrigin(url, options.originMap);
    let lastError: RetryableError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const { response, body } = await once(url, target, init, maxBytes);
        const responseHeaders: Record<string, string> = {};
        response.headers.forEach((value, key) => {
          responseHeaders[key] = value;
        });
        return {
          url,
          status: response.status,
          notModified: response.status === 304,
          contentType: response.headers.get("content-type"),
          headers: responseHeaders,
          body,
          sha256: sha256Hex(body),
          fetchedAt: now().toISOString(),
        };
      } catch (err) {
        // Whatever broke while stopping (a cancelled body, a reset socket) is the stop, not the source.
        throwIfStopping(url);
        if (!(err instanceof RetryableError)) throw err;
        lastError = err;
        if (err.waitMs !== null && err.waitMs > maxRetryAfterMs) {
          throw new RateLimitedError(
            `${err.message}; asked to wait ${Math.round(err.waitMs / 1000)} s`,
            err.waitMs,
          );
        }
        if (attempt === attempts) break;
        const wait = err.waitMs ?? backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
        options.log?.warn({ url, attempt, waitMs: Math.round(wait) }, `retrying: ${err.message}`);
        await pause(wait, url);
      }
    }
    if (lastError?.rateLimited) throw new RateLimitedError(lastError.message, lastError.waitMs);
    throw new SourceUnavailableError(`${lastError?.message ?? shortUrl(url)} (after ${attempts} attempts)`);
  }

  return {
    async get(url: string, req: HttpRequestOptions = {}): Promise<HttpResponse> {
      throwIfStopping(url);
      const headers: Record<string, string> = {
        "user-agent": options.userAgent,
        accept: "application/json, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5",
        ...lowerCaseKeys(req.headers),
      };
      if (req.conditional !== false && options.validators) {
        const v = await options.validators.get(url);
        if (v?.etag) headers["if-none-match"] = v.etag;
        if (v?.lastModified) headers["if-modified-since"] = v.lastModified;
      }
      return request(
        url,
        {
          method: "GET",
          headers,
          acceptStatuses: req.acceptStatuses,
          beforeRedirect: req.beforeRedirect,
          publicOnly: req.publicOnly,
        },
        req.maxBytes ?? options.maxBytes,
      );
    },
    async post(url: string, body: string, req: HttpPostOptions = {}): Promise<HttpResponse> {
      throwIfStopping(url);
      const headers: Record<string, string> = {
        "user-agent": options.userAgent,
        accept: "application/json, application/xml;q=0.9, */*;q=0.5",
        "content-type": "application/json",
        ...lowerCaseKeys(req.headers),
      };
      return request(url, { method: "POST", headers, body }, req.maxBytes ?? options.maxBytes);
    },
  };
}
