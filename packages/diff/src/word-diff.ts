import type { WordDiff } from "@regwatch/core/schemas";

/** Words and the whitespace/punctuation between them, so that joining the tokens gives the text back. */
export function tokenize(text: string): string[] {
  return text.match(/[\p{L}\p{N}]+|\s+|[^\p{L}\p{N}\s]/gu) ?? [];
}

/**
 * Word-level diff (Myers' O(ND) algorithm over tokens, after trimming the
 * common prefix and suffix). Adjacent operations of the same kind are merged.
 */
export function wordDiff(before: string, after: string): WordDiff {
  const a = tokenize(before);
  const b = tokenize(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: WordDiff = [];
  const emit = (op: "=" | "+" | "-", token: string) => {
    const last = ops[ops.length - 1];
    if (last && last[0] === op) last[1] += token;
    else ops.push([op, token]);
  };
  for (let i = 0; i < start; i++) emit("=", a[i]!);
  for (const [op, token] of myers(a.slice(start, endA), b.slice(start, endB))) emit(op, token);
  for (let i = endA; i < a.length; i++) emit("=", a[i]!);
  return ops;
}

function myers(a: string[], b: string[]): ["=" | "+" | "-", string][] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((t) => ["+", t]);
  if (m === 0) return a.map((t) => ["-", t]);
  const max = n + m;
  const offset = max;
  let v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) x = v[offset + k + 1]!;
      else x = v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    v = next;
    if (found >= 0) break;
  }
  // Walk the trace back from (n, m).
  const out: ["=" | "+" | "-", string][] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push(["=", a[--x]!]);
      y--;
    }
    if (x === prevX) out.push(["+", b[--y]!]);
    else out.push(["-", a[--x]!]);
  }
  while (x > 0 && y > 0) {
    out.push(["=", a[--x]!]);
    y--;
  }
  return out.reverse();
}
