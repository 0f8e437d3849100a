/// <reference path="./seek-bzip.d.ts" />
// Lovdata publishes Norsk Lovtidend only as yearly tar.bz2 archives. seek-bzip
// (pure JS) decodes synchronously into a byte sink; the sink here hands the
// output on in slices, so the decompressed archive (28.5 MB for 2025 by
// October) is never held whole, and counts it, so a bzip2 bomb stops at the cap.

import { ResponseTooLargeError, SourceShapeChangedError } from "@regwatch/core/errors";
import bunzip from "seek-bzip";
import { runSteps } from "../../steps.ts";

/** Output handed on in slices of this size: big enough to keep calls few, small enough to overshoot the cap by little. */
const SLICE = 64 * 1024;

/** Whether the body starts like a bzip2 stream ("BZh" and a block size 1-9). */
export function isBzip2(body: Uint8Array): boolean {
  return (
    body.length >= 4 &&
    body[0] === 0x42 &&
    body[1] === 0x5a &&
    body[2] === 0x68 &&
    body[3]! >= 0x31 &&
    body[3]! <= 0x39
  );
}

// The end-of-stream marker (the digits of sqrt(pi), 48 bits) and the stream CRC
// (32 bits) close every bzip2 stream, padded to a byte with at most 7 zero bits.
const END_MAGIC = 0x177245385090n;

/**
 * Whether the body ends with an end-of-stream marker. seek-bzip stops without
 * complaint when its input runs out exactly between two blocks: a body cut
 * there would decode to a silently shorter archive, so the end is checked here.
 */
function endsWithStreamEnd(body: Uint8Array): boolean {
  if (body.length < 14) return false;
  let tail = 0n;
  for (const byte of body.subarray(body.length - 11)) tail = (tail << 8n) | BigInt(byte);
  // 88 bits: [slack][48-bit magic][32-bit CRC][0-7 zero padding bits].
  for (let pad = 0; pad <= 7; pad++) {
    if ((tail & ((1n << BigInt(pad)) - 1n)) !== 0n) break;
    if (((tail >> BigInt(32 + pad)) & 0xffffffffffffn) === END_MAGIC) return true;
  }
  return false;
}

class TruncatedInput extends Error {}

/**
 * Decompresses a whole bzip2 body (several concatenated streams too, as
 * parallel compressors write them), calling `onSlice` with the output in
 * order; a slice is reused once `onSlice` returns, so it must be copied to be
 * kept. More than `maxBytes` of output is a ResponseTooLargeError; a body that
 * is not bzip2, cut short, or corrupt (block or stream CRC) is a
 * SourceShapeChangedError. Errors `onSlice` throws pass through unchanged.
 * Yields after every block (at most 900 kB of output), so a caller can let
 * other work run; returns the number of bytes decompressed.
 */
export function* bunzip2Steps(
  body: Uint8Array,
  onSlice: (slice: Uint8Array) => void,
  options: { maxBytes: number; name?: string },
): Generator<void, number> {
  const name = options.name ?? "bzip2 body";
  if (!isBzip2(body)) throw new SourceShapeChangedError(`${name}: not bzip2 data (no "BZh" header)`);
  if (!endsWithStreamEnd(body))
    throw new SourceShapeChangedError(
      `${name}: bzip2 data does not end with an end-of-stream marker (truncated, or followed by other bytes)`,
    );
  let pos = 0;
  const input = {
    readByte() {
      if (pos >= body.length) throw new TruncatedInput();
      return body[pos++]!;
    },
    read(buffer: Uint8Array, offset: number, length: number) {
      if (pos >= body.length) return -1;
      const n = Math.min(length, body.length - pos);
      buffer.set(body.subarray(pos, pos + n), offset);
      pos += n;
      return n;
    },
    eof: () => pos >= body.length,
  };
  const slice = new Uint8Array(SLICE);
  let used = 0;
  let total = 0;
  const flush = () => {
    if (!used) return;
    total += used;
    if (total > options.maxBytes)
      throw new ResponseTooLargeError(
        `${name}: decompresses to more than ${options.maxBytes} bytes; refused (a bzip2 bomb, or a much larger archive than expected)`,
      );
    const n = used;
    used = 0;
    onSlice(slice.subarray(0, n));
  };
  const output = {
    writeByte(byte: number) {
      slice[used++] = byte;
      if (used === SLICE) flush();
    },
  };
  try {
    // What seek-bzip's `decode(input, output, true)` does, a block at a time.
    const decoder = new bunzip(input, output);
    while (!input.eof()) {
      if (decoder._init_block()) {
        decoder._read_bunzip();
        yield;
        continue;
      }
      const streamCrc = decoder.reader.read(32) >>> 0;
      if (streamCrc !== decoder.streamCRC >>> 0)
        throw new SourceShapeChangedError(
          `${name}: corrupt bzip2 data (bad stream CRC: got ${(decoder.streamCRC >>> 0).toString(16)}, expected ${streamCrc.toString(16)})`,
        );
      if (input.eof()) break;
      decoder._start_bunzip(input, output);
    }
  } catch (err) {
    if (err instanceof TruncatedInput)
      throw new SourceShapeChangedError(`${name}: bzip2 data is truncated (input ended inside a block)`);
    // seek-bzip's own errors are TypeErrors carrying an `errorCode`; anything else came from `onSlice` or the cap.
    if (err instanceof TypeError && typeof (err as { errorCode?: unknown }).errorCode === "number")
      throw new SourceShapeChangedError(`${name}: corrupt bzip2 data (${err.message})`);
    throw err;
  }
  flush();
  return total;
}

/** `bunzip2Steps` run to the end at once. */
export function bunzip2(
  body: Uint8Array,
  onSlice: (slice: Uint8Array) => void,
  options: { maxBytes: number; name?: string },
): number {
  return runSteps(bunzip2Steps(body, onSlice, options));
}
