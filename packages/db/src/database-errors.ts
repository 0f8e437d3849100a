import { statfsSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";

// Storage and server failures arrive in four shapes: a PostgreSQL error with
// a SQLSTATE (from the server through node-postgres, or from PGlite), a Node
// fs error with an errno code, an Emscripten FS error with a numeric errno
// (PGlite's own file layer), and PGlite failing to start (`Aborted()`, "PGlite
// failed to initialize properly") with the reason only in postgres' log lines.
// drizzle wraps the first as `Failed query: …` with the driver error as cause.

export type DatabaseProblemKind =
  /** The files are unreadable as a database: restore or rebuild. */
  | "damaged"
  /** The device is full, read-only or not ours: fix the storage, the data is fine. */
  | "storage"
  /** Memory, connections: try again later or with more. */
  | "resources"
  /** The server went away or is not accepting connections yet: try again later. */
  | "unavailable";

/** The database cannot be used; the message says what happened, where, and what to do. */
export class DatabaseUnusableError extends Error {
  override name = "DatabaseUnusableError";
  constructor(
    readonly kind: DatabaseProblemKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// Emscripten's errno numbers (PGlite 0.5's ERRNO_CODES), not the host's.
const EMSCRIPTEN_ERRNO: Record<number, string> = {
  2: "EACCES",
  19: "EDQUOT",
  29: "EIO",
  51: "ENOSPC",
  63: "EPERM",
  69: "EROFS",
};

/** Below this much free space a crashed embedded database is most likely out of disk: a WAL segment is 16 MiB. */
const LOW_SPACE_BYTES = 32 * 1024 * 1024;

interface ErrorFields {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  severity?: unknown;
  path?: unknown;
  cause?: unknown;
}

const isServer = (location: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(location);

function where(location: string): string {
  return isServer(location) ? `at ${location}` : `in ${location}`;
}

/** The files under `location` are not a database PostgreSQL can read: `detail` says why. */
export function damagedDatabaseError(location: string, detail: string): DatabaseUnusableError {
  const advice = isServer(location)
    ? "restore it from a backup"
    : "restore it from a backup or move it aside and run regwatch migrate";
  return new DatabaseUnusableError(
    "damaged",
    `the database ${where(location)} is damaged (${detail}); ${advice}`,
  );
}

function storage(location: string, errno: string, path: string | undefined): DatabaseUnusableError | null {
  // A server's storage problems reach us as SQLSTATEs; an errno with a server URL is not about the database.
  if (isServer(location)) return null;
  const on = path ?? location;
  switch (errno) {
    case "ENOSPC":
      return new DatabaseUnusableError("storage", `no space left on the device holding ${on}`);
    case "EDQUOT":
      return new DatabaseUnusableError("storage", `the disk quota is used up on the device holding ${on}`);
    case "EROFS":
      return new DatabaseUnusableError("storage", `the device holding ${on} is read-only`);
    case "EIO":
      return new DatabaseUnusableError(
        "storage",
        `input/output error on the device holding ${on}; the disk may be failing`,
      );
    case "EACCES":
    case "EPERM":
      // Only the database's own files: a permission error on an input file is not a database problem.
      if (path && !inside(location, path)) return null;
      return new DatabaseUnusableError(
        "storage",
        `permission denied on ${on}; the database ${where(location)} must be readable and writable by this user`,
      );
    default:
      return null;
  }
}

function inside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

function fromSqlstate(code: string, message: string, location: string): DatabaseUnusableError | null {
  if (code === "53100") {
    return isServer(location)
      ? new DatabaseUnusableError(
          "storage",
          `the database server at ${location} has no disk space left (${message})`,
        )
      : new DatabaseUnusableError("storage", `no space left on the device holding ${location}`);
  }
  if (code.startsWith("53")) {
    return new DatabaseUnusableError(
      "resources",
      `the database ${where(location)} ran out of resources (${message})`,
    );
  }
  if (code === "XX001" || code === "XX002") return damagedDatabaseError(location, message);
  if (code === "57P01" || code === "57P02" || code === "57P03" || code.startsWith("08")) {
    return new DatabaseUnusableError(
      "unavailable",
      `the database ${where(location)} is not available (${message})`,
    );
  }
  return null;
}

/**
 * postgres' own account of why PGlite would not start: the last FATAL or
 * PANIC line with its DETAIL, without the log prefix.
 */
function serverFailure(logLines: readonly string[]): string | null {
  let found: string | null = null;
  let detailed = false;
  for (const raw of logLines) {
    const m = /\b(FATAL|PANIC|DETAIL):\s+(.*)$/.exec(raw.trim());
    if (!m) continue;
    const text = m[2]!.replace(/\s+/g, " ");
    if (m[1] !== "DETAIL") {
      found = `${m[1]}: ${text}`;
      detailed = false;
    } else if (found && !detailed) {
      found = `${found}: ${text}`;
      detailed = true;
    }
  }
  return found;
}

function fromEmbeddedFailure(
  message: string,
  location: string,
  logLines: readonly string[],
): DatabaseUnusableError {
  const reason = serverFailure(logLines);
  const text = reason ?? logLines.join("\n");
  if (/No space left on device/i.test(text)) return storage(location, "ENOSPC", undefined)!;
  if (/Disk quota exceeded/i.test(text)) return storage(location, "EDQUOT", undefined)!;
  if (/Read-only file system/i.test(text)) return storage(location, "EROFS", undefined)!;
  if (/Permission denied/i.test(text)) return storage(location, "EACCES", undefined)!;
  if (/Aborted\(OOM\)|out of memory/i.test(`${message} ${text}`)) {
    return new DatabaseUnusableError(
      "resources",
      `the database ${where(location)} ran out of memory (${message})`,
    );
  }
  if (!reason && lowOnSpace(location)) return storage(location, "ENOSPC", undefined)!;
  if (reason && /incompatible with server/.test(reason)) {
    return new DatabaseUnusableError(
      "damaged",
      `the database in ${location} was written by another PostgreSQL version or is damaged (${reason}); restore it from a backup or move it aside and run regwatch migrate`,
    );
  }
  // "Aborted(). Build with -sASSERTIONS for more info.": the advice is for PGlite's developers.
  return damagedDatabaseError(
    location,
    reason ?? `PGlite: ${message.replace(/\s*Build with -sASSERTIONS.*$/, "")}`,
  );
}

function lowOnSpace(dir: string): boolean {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize < LOW_SPACE_BYTES;
  } catch {
    return false;
  }
}

function isEmbeddedFailure(e: ErrorFields): boolean {
  const message = typeof e.message === "string" ? e.message : "";
  return (
    (e.name === "RuntimeError" && message.startsWith("Aborted(")) ||
    message === "PGlite failed to initialize properly"
  );
}

/**
 * What went wrong with the database, as one line naming the place and the
 * remedy; null when `err` is not a storage or server failure. `location` is
 * the data directory (PGlite) or the server URL with its password hidden.
 * `logLines` are postgres' stderr lines captured while PGlite started.
 */
export function diagnoseDatabaseError(
  err: unknown,
  location: string,
  logLines: readonly string[] = [],
): DatabaseUnusableError | null {
  const seen = new Set<unknown>();
  for (let e = err; e && typeof e === "object" && !seen.has(e); e = (e as ErrorFields).cause) {
    seen.add(e);
    if (e instanceof DatabaseUnusableError) return e;
    const fields = e as ErrorFields;
    const message = typeof fields.message === "string" ? fields.message : String(fields.message);
    const code = typeof fields.code === "string" ? fields.code : undefined;
    const path = typeof fields.path === "string" ? fields.path : undefined;
    let found: DatabaseUnusableError | null = null;
    // pg and PGlite both name their errors "error" and set a severity; Node errno codes (EROFS) are five letters too.
    if (
      code &&
      /^[0-9A-Z]{5}$/.test(code) &&
      (typeof fields.severity === "string" || fields.name === "error")
    ) {
      found = fromSqlstate(code, message, location);
    } else if (fields.name === "ErrnoError" && typeof fields.errno === "number") {
      const errno = EMSCRIPTEN_ERRNO[fields.errno];
      found = errno ? storage(location, errno, undefined) : null;
    } else if (code && /^E[A-Z]+$/.test(code)) {
      found = storage(location, code, path);
    } else if (!isServer(location) && isEmbeddedFailure(fields)) {
      found = fromEmbeddedFailure(message, location, logLines);
    }
    if (found) {
      found.cause = err;
      return found;
    }
  }
  return null;
}

/** One line for a database failure (see `diagnoseDatabaseError`), or null when `err` is something else. */
export function describeDatabaseError(err: unknown, location: string): string | null {
  return diagnoseDatabaseError(err, location)?.message ?? null;
}
