// The guard on addresses a user gives `regwatch watch`, and on the document
// links of the pages it fetches (a page's links are written by whoever
// controls that page). regwatch runs next to its database, its Redis and,
// in a cloud, the instance metadata service: a watched URL must never make
// it fetch from them. An address is refused for what it reaches, so the
// host is resolved and every address it resolves to is checked.

import { isIP } from "node:net";
import { type ResolveAll, refusedAddress, resolveAll } from "@regwatch/core/addresses";
import { SourceUnavailableError, UnsafeUrlError } from "@regwatch/core/errors";

// Which addresses are refused is decided in @regwatch/core/addresses (the
// webhook guard and the HTTP client's `publicOnly` connections use the same
// table); the error lives in @regwatch/core/errors, where the HTTP client
// throws it too. Re-exported for this module's callers.
export { type ResolveAll, UnsafeUrlError };

export interface WatchUrlOptions {
  /** Private, loopback and link-local addresses allowed: tests and local demos (REGWATCH_ALLOW_PRIVATE_URLS=1). */
  allowPrivate?: boolean;
  resolve?: ResolveAll;
}

/**
 * Checks a URL before it is watched or fetched: http or https, no user name
 * or password in it, and (unless `allowPrivate`) a host whose every address
 * is public. Returns the parsed URL and the addresses checked. A host that
 * does not resolve is unavailable (SourceUnavailableError), not unsafe.
 *
 * The check is of the address at this moment: it gives an early, readable
 * refusal (when a page is added, before each fetch and redirect). A name
 * that resolves elsewhere when the connection is made (DNS rebinding) is
 * caught by the connection itself: the page source asks the HTTP client for
 * `publicOnly` requests and the browser for `publicOnly` renders.
 */
export async function checkWatchUrl(
  url: string,
  options: WatchUrlOptions = {},
): Promise<{ url: URL; addresses: string[] }> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UnsafeUrlError(`"${url}" is not a URL`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new UnsafeUrlError(`${url}: only http and https addresses can be watched, not ${u.protocol}`);
  if (u.username || u.password)
    throw new UnsafeUrlError(
      `${u.protocol}//${u.host}${u.pathname}: credentials in a watched URL are refused`,
    );
  if (!u.hostname) throw new UnsafeUrlError(`${url}: no host`);
  if (options.allowPrivate) return { url: u, addresses: [] };
  // The URL parser has already turned "0x7f.1", "2130706433" and "[::ffff:7f00:1]" into canonical literals.
  const host = u.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    let resolved: { address: string }[];
    try {
      resolved = await (options.resolve ?? resolveAll)(host);
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).message;
      throw new SourceUnavailableError(`${u.host}: the host does not resolve (${code})`);
    }
    if (!resolved.length) throw new SourceUnavailableError(`${u.host}: the host resolves to no address`);
    addresses = resolved.map((r) => r.address);
  }
  for (const address of addresses) {
    const why = refusedAddress(address);
    if (why)
      throw new UnsafeUrlError(
        `${u.host}${isIP(host) ? "" : ` resolves to ${address}, which`} is ${why}: refused (set REGWATCH_ALLOW_PRIVATE_URLS=1 only for tests)`,
      );
  }
  return { url: u, addresses };
}
