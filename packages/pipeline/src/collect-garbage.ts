import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

// Bodies at least this large leave enough garbage behind (decoded slices of
// the document, text pieces, hashing copies) to matter next to the live data.
const LARGE_BODY_BYTES = 8 * 1024 * 1024;

let collect: (() => void) | null | undefined;

/**
 * A full garbage collection after a step that handled a large body (archived
 * through a database driver, which copies it; parsed). V8 collects the old
 * generation lazily, so without it that garbage (a copy of the body, tens of
 * MB of parsing) is still held during the next step, and the process peaks
 * well above what it really uses. Costs ~50 ms, only for bodies over
 * LARGE_BODY_BYTES; a no-op where V8 does not allow it.
 */
export function collectGarbageAfter(bodyBytes: number): void {
  if (bodyBytes < LARGE_BODY_BYTES) return;
  if (collect === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      collect = runInNewContext("gc") as () => void;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
