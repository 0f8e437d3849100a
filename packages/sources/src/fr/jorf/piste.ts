// The Légifrance API through PISTE, the State's API gateway: an OAuth2
// client-credentials token, then JSON POSTs [C: PISTE, OAuth2 client
// credentials, a registered account, SOURCES.md]. The addresses and bodies
// below are [I]: third-party clients of the API agree on them, SOURCES.md
// does not confirm them.
//
// The credentials and the token live in memory only: never in state, logs
// or error messages (every error leaving this module is scrubbed of them).

import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import type { HttpClient, HttpResponse } from "@regwatch/core/http";
import { sha256Hex } from "@regwatch/core/text";

/** [I] The token endpoint (form-encoded client credentials, JSON answer). */
export const PISTE_TOKEN_URL = "https://oauth.piste.gouv.fr/api/oauth/token";
/** [I] The Légifrance API (lf-engine-app): `/search`, `/consult/jorf`. */
export const LEGIFRANCE_API = "https://api.piste.gouv.fr/dila/legifrance/lf-engine-app";

export interface PostOptions {
  headers?: Record<string, string>;
  maxBytes?: number;
}

/** What this source needs beyond `HttpClient.get`: the client's POST (retries, size cap, per-host turns, origin map; never conditional). */
export interface PostClient {
  post(url: string, body: string, options?: PostOptions): Promise<HttpResponse>;
}

/** The client's POST, when it has one (test fakes of GET-only sources do not). */
export function postClientOf(http: HttpClient): PostClient | null {
  const post = http.post;
  return post ? { post: post.bind(http) } : null;
}

export interface PisteCredentials {
  clientId: string;
  clientSecret: string;
}

/**
 * The credentials from the environment, read when a fetch runs. One of the
 * two without the other is a problem to report (by variable name only).
 */
export function pisteCredentials(env: Record<string, string | undefined>): {
  credentials: PisteCredentials | null;
  problem: string | null;
} {
  const clientId = env.LEGIFRANCE_CLIENT_ID?.trim() ?? "";
  const clientSecret = env.LEGIFRANCE_CLIENT_SECRET?.trim() ?? "";
  if (clientId && clientSecret) return { credentials: { clientId, clientSecret }, problem: null };
  if (clientId || clientSecret)
    return {
      credentials: null,
      problem: `${clientId ? "LEGIFRANCE_CLIENT_ID" : "LEGIFRANCE_CLIENT_SECRET"} is set without ${clientId ? "LEGIFRANCE_CLIENT_SECRET" : "LEGIFRANCE_CLIENT_ID"}: the API is not used`,
    };
  return { credentials: null, problem: null };
}

/** One token, for one client id, until it expires: kept in this process's memory, never in state. */
export interface TokenCache {
  get(clientId: string, now: number): string | null;
  set(clientId: string, token: string, expiresAt: number): void;
  clear(): void;
}

export function createTokenCache(): TokenCache {
  let held: { key: string; token: string; expiresAt: number } | null = null;
  // Keyed by a hash of the client id: new credentials never reuse the old token.
  const key = (clientId: string) => sha256Hex(clientId);
  return {
    get: (clientId, now) => (held && held.key === key(clientId) && now < held.expiresAt ? held.token : null),
    set: (clientId, token, expiresAt) => {
      held = { key: key(clientId), token, expiresAt };
    },
    clear: () => {
      held = null;
    },
  };
}

// A token is dropped this long before PISTE says it expires, so none expires in flight.
const EXPIRY_MARGIN_MS = 60_000;
// Answers are small JSON (a text of a few pages, a page of search results).
const ANSWER_MAX_BYTES = 20 * 1024 * 1024;

/** A search of the JORF fund [I: SearchRequestDTO / RechercheSpecifiqueDTO]. */
export function jorfSearchBody(field: "NOR" | "TITLE", value: string, pageSize: number) {
  return {
    fond: "JORF",
    recherche: {
      champs: [
        {
          typeChamp: field,
          criteres: [
            {
              typeRecherche: field === "NOR" ? "EXACTE" : "TOUS_LES_MOTS_DANS_UN_CHAMP",
              valeur: value,
              operateur: "ET",
            },
          ],
          operateur: "ET",
        },
      ],
      filtres: [{ facette: "NATURE", valeurs: ["ARRETE"] }],
      pageNumber: 1,
      pageSize,
      operateur: "ET",
      sort: "SIGNATURE_DATE_DESC",
      typePagination: "DEFAUT",
    },
  };
}

export interface PisteSession {
  search(body: ReturnType<typeof jorfSearchBody>): Promise<HttpResponse>;
  /** `/consult/jorf` for one text by its JORFTEXT id. */
  consult(cid: string): Promise<HttpResponse>;
}

/**
 * Calls to the API with a token from the cache, asking PISTE for a new one
 * when there is none or it has expired. A failed call drops the token (it may
 * be the token that was refused); the next run asks for a new one.
 */
export function pisteSession(
  client: PostClient,
  credentials: PisteCredentials,
  tokens: TokenCache,
  clock: () => number,
): PisteSession {
  const secrets = [credentials.clientSecret, credentials.clientId];
  const scrub = (err: unknown, also: readonly string[] = []): unknown => {
    const all = [...secrets, ...also];
    if (!(err instanceof Error)) return new Error(redact(String(err), all));
    err.message = redact(err.message, all);
    if (err.stack) err.stack = redact(err.stack, all);
    return err;
  };

  async function token(): Promise<string> {
    const cached = tokens.get(credentials.clientId, clock());
    if (cached) return cached;
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      scope: "openid",
    });
    let response: HttpResponse;
    try {
      response = await client.post(PISTE_TOKEN_URL, form.toString(), {
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        maxBytes: 64 * 1024,
      });
    } catch (err) {
      throw scrub(err);
    }
    if (response.status >= 400)
      throw new SourceUnavailableError(
        `PISTE refused the token request (HTTP ${response.status}): check LEGIFRANCE_CLIENT_ID and LEGIFRANCE_CLIENT_SECRET`,
      );
    // The answer is never quoted in an error: it holds the token.
    let answer: unknown;
    try {
      answer = JSON.parse(Buffer.from(response.body).toString("utf8"));
    } catch {
      throw new SourceShapeChangedError("PISTE token answer is not JSON");
    }
    const { access_token, token_type, expires_in } = (answer ?? {}) as Record<string, unknown>;
    if (typeof access_token !== "string" || !access_token)
      throw new SourceShapeChangedError("PISTE token answer has no access_token");
    if (token_type !== undefined && String(token_type).toLowerCase() !== "bearer")
      throw new SourceShapeChangedError(
        `PISTE token answer has token_type "${String(token_type).slice(0, 20)}", not Bearer`,
      );
    const seconds = Number(expires_in);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new SourceShapeChangedError("PISTE token answer has no valid expires_in");
    tokens.set(credentials.clientId, access_token, clock() + Math.max(0, seconds * 1000 - EXPIRY_MARGIN_MS));
    return access_token;
  }

  async function call(path: string, payload: unknown): Promise<HttpResponse> {
    const bearer = await token();
    try {
      const response = await client.post(`${LEGIFRANCE_API}${path}`, JSON.stringify(payload), {
        headers: {
          authorization: `Bearer ${bearer}`,
          "content-type": "application/json",
          accept: "application/json",
        },
        maxBytes: ANSWER_MAX_BYTES,
      });
      if (response.status >= 400)
        throw new SourceUnavailableError(`${LEGIFRANCE_API}${path}: HTTP ${response.status}`);
      return response;
    } catch (err) {
      tokens.clear();
      throw scrub(err, [bearer]);
    }
  }

  return {
    search: (body) => call("/search", body),
    consult: (cid) => call("/consult/jorf", { textCid: cid }),
  };
}

/** `text` with every secret replaced by "[redacted]", in the forms a URL or a form body would carry it too. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    const forms = [
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ s: secret }).toString().slice(2),
    ];
    for (const form of new Set(forms)) out = out.split(form).join("[redacted]");
  }
  return out;
}
