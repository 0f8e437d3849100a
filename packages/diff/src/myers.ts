/**
 * One run of an edit script over two sequences of interned ids. "=" and "-"
 * runs index into `a`, "+" runs into `b`; `end` is exclusive.
 */
export interface Edit {
  op: "=" | "-" | "+";
  start: number;
  end: number;
}

/**
 * How many steps a diff may still take. One step is one diagonal extended or
 * one pair of ids compared, so the time of a diff is proportional to what it
 * spent; the budget is shared by every diff of one word diff (see word-diff.ts).
 */
export interface Budget {
  left: number;
}

/**
 * Shortest edit script of `a` → `b` (Myers 1986, "An O(ND) difference
 * algorithm", with the linear-space refinement of section 4b: find the middle
 * snake of the optimal path, recurse on both sides of it).
 *
 * Why linear space: the one-pass version keeps every V array to walk the
 * path back, O(D · (N + M)) memory — 1 GB for a rewritten 20 KB paragraph.
 * Here memory is two V arrays plus the script, O(N + M), whatever D is.
 * Time is still O((N + M) · D), so it is bounded by `budget` instead: when
 * the budget runs out the result is null and the caller decides what a
 * too-expensive diff looks like. Nothing partial is returned.
 */
export function diffSequences(a: Int32Array, b: Int32Array, budget: Budget): Edit[] | null {
  const edits: Edit[] = [];
  // V arrays indexed by diagonal k + offset; |k| never exceeds ceil((N+M)/2) + 1.
  const offset = Math.ceil((a.length + b.length) / 2) + 2;
  const vf = new Int32Array(2 * offset + 1);
  const vb = new Int32Array(2 * offset + 1);
  const push = (op: Edit["op"], start: number, end: number) => {
    if (end <= start) return;
    const last = edits[edits.length - 1];
    if (last && last.op === op && last.end === start) last.end = end;
    else edits.push({ op, start, end });
  };

  // Recursion depth is O(log D): each middle snake halves D.
  const solve = (aLo: number, aHi: number, bLo: number, bHi: number): boolean => {
    const from = aLo;
    while (aLo < aHi && bLo < bHi && a[aLo] === b[bLo]) {
      aLo++;
      bLo++;
    }
    push("=", from, aLo);
    let suffix = 0;
    while (aHi > aLo && bHi > bLo && a[aHi - 1] === b[bHi - 1]) {
      aHi--;
      bHi--;
      suffix++;
    }
    budget.left -= aLo - from + suffix;
    if (budget.left < 0) return false;
    if (aLo === aHi) push("+", bLo, bHi);
    else if (bLo === bHi) push("-", aLo, aHi);
    else {
      // Trimmed and both sides non-empty: D ≥ 2, so both halves are strictly smaller.
      const snake = middleSnake(a, aLo, aHi, b, bLo, bHi, vf, vb, offset, budget);
      if (!snake) return false;
      const [x, y, u, v] = snake;
      if (!solve(aLo, x, bLo, y)) return false;
      push("=", x, u);
      if (!solve(u, aHi, v, bHi)) return false;
    }
    push("=", aHi, aHi + suffix);
    return true;
  };

  return solve(0, a.length, 0, b.length) ? edits : null;
}

/**
 * The middle snake [x, y] → [u, v] of a shortest path through a[aLo, aHi) ×
 * b[bLo, bHi): furthest-reaching paths are grown from both corners, d edits
 * at a time, until a forward and a backward path overlap on one diagonal.
 * `vf[k]` is the furthest x on forward diagonal k; `vb[k]` the furthest
 * distance from the far corner on backward diagonal k (diagonal k of the
 * reversed sequences is diagonal delta − k of the forward ones).
 */
function middleSnake(
  a: Int32Array,
  aLo: number,
  aHi: number,
  b: Int32Array,
  bLo: number,
  bHi: number,
  vf: Int32Array,
  vb: Int32Array,
  o: number,
  budget: Budget,
): [number, number, number, number] | null {
  const n = aHi - aLo;
  const m = bHi - bLo;
  const delta = n - m;
  const odd = (delta & 1) !== 0;
  vf[o + 1] = 0;
  vb[o + 1] = 0;
  for (let d = 0, max = Math.ceil((n + m) / 2); d <= max; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && vf[o + k - 1]! < vf[o + k + 1]!) ? vf[o + k + 1]! : vf[o + k - 1]! + 1;
      let y = x - k;
      const x0 = x;
      const y0 = y;
      while (x < n && y < m && a[aLo + x] === b[bLo + y]) {
        x++;
        y++;
      }
      vf[o + k] = x;
      budget.left -= x - x0 + 1;
      if (budget.left < 0) return null;
      // With delta odd the paths meet after a forward step: the backward
      // diagonals of step d − 1 are those with |delta − k| ≤ d − 1.
      if (odd && k >= delta - d + 1 && k <= delta + d - 1 && x + vb[o + delta - k]! >= n) {
        return [aLo + x0, bLo + y0, aLo + x, bLo + y];
      }
    }
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && vb[o + k - 1]! < vb[o + k + 1]!) ? vb[o + k + 1]! : vb[o + k - 1]! + 1;
      let y = x - k;
      const x0 = x;
      const y0 = y;
      while (x < n && y < m && a[aHi - 1 - x] === b[bHi - 1 - y]) {
        x++;
        y++;
      }
      vb[o + k] = x;
      budget.left -= x - x0 + 1;
      if (budget.left < 0) return null;
      if (!odd && delta - k >= -d && delta - k <= d && x + vf[o + delta - k]! >= n) {
        return [aHi - x, bHi - y, aHi - x0, bHi - y0];
      }
    }
  }
  // Unreachable: the paths meet by d = ceil((N + M) / 2).
  return null;
}
