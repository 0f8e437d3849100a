import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

/**
 * Raw artifacts as content-addressed files under the data directory
 * (`artifacts/ab/abcdef…`), for the embedded database: bytes never pass
 * through PGlite, whose bytea handling costs about 100 bytes of memory per
 * byte. The database row keeps the hash, size and provenance.
 */
export interface ArtifactFiles {
  readonly dir: string;
  put(sha256: string, body: Uint8Array): void;
  get(sha256: string): Uint8Array | null;
}

const SHA256 = /^[0-9a-f]{64}$/;

export function artifactFiles(dir: string): ArtifactFiles {
  const pathOf = (sha256: string) => {
    // The name comes from our own hashing, but a path is never built from anything else.
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${sha256.slice(0, 80)}`);
    return join(dir, sha256.slice(0, 2), sha256);
  };
  return {
    dir,
    put(sha256, body) {
      const path = pathOf(sha256);
      // Same hash, same bytes: a complete file is never rewritten.
      if (existsSync(path) && statSync(path).size === body.byteLength) return;
      mkdirSync(join(dir, sha256.slice(0, 2)), { recursive: true });
      // Written whole to a temporary name, flushed, then renamed: a crash
      // leaves either no file or the complete one, never a truncated artifact.
      const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      const fd = openSync(tmp, "wx");
      try {
        for (let offset = 0; offset < body.byteLength; ) {
          offset += writeSync(fd, body, offset, body.byteLength - offset);
        }
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    },
    get(sha256) {
      const path = pathOf(sha256);
      return existsSync(path) ? new Uint8Array(readFileSync(path)) : null;
    },
  };
}
