import { crc32, inflateRawSync } from "node:zlib";
import { SourceShapeChangedError } from "@regwatch/core/errors";

/**
 * Cellar serves a Formex manifestation as a zip of its files (the act, and
 * for acts as published one file per annex) [I: a third-party client that
 * measured it; the samples hold the XML only]. This reads such a zip in
 * memory, strictly: only what a package needs (stored or deflated members, no
 * encryption, no ZIP64, no spanning), every member's size and CRC-32 checked,
 * and an uncompressed total capped, so that a damaged or hostile archive is an
 * error and never a partial document.
 */
export interface ZipMember {
  name: string;
  data: Uint8Array;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Far above a consolidated act in one language (a few MB), far below a machine's memory. */
export const MAX_UNZIPPED_BYTES = 256 * 1024 * 1024;

export function isZip(body: Uint8Array): boolean {
  return body.length >= 4 && body[0] === 0x50 && body[1] === 0x4b && body[2] === 0x03 && body[3] === 0x04;
}

export function readZip(body: Uint8Array, what = "zip archive", maxBytes = MAX_UNZIPPED_BYTES): ZipMember[] {
  const fail = (why: string) => new SourceShapeChangedError(`${what}: ${why}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const u16 = (at: number) => {
    if (at + 2 > body.length) throw fail("truncated zip archive");
    return view.getUint16(at, true);
  };
  const u32 = (at: number) => {
    if (at + 4 > body.length) throw fail("truncated zip archive");
    return view.getUint32(at, true);
  };
  // The end-of-central-directory record: within the last 64 KiB + 22 bytes (its comment).
  let eocd = -1;
  for (let at = body.length - 22; at >= Math.max(0, body.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw fail("not a complete zip archive (no end of central directory; truncated?)");
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0) throw fail("multi-part zip archives are not read");
  const count = u16(eocd + 10);
  const cdSize = u32(eocd + 12);
  const cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw fail("ZIP64 archives are not read");
  if (cdOffset + cdSize > eocd) throw fail("central directory outside the archive (truncated?)");

  const members: ZipMember[] = [];
  let total = 0;
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (u32(at) !== CENTRAL) throw fail(`central directory entry ${i + 1} is damaged`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    const packed = u32(at + 20);
    const size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    const localAt = u32(at + 42);
    const name = Buffer.from(body.subarray(at + 46, at + 46 + nameLength)).toString(
      flags & 0x800 ? "utf8" : "latin1",
    );
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith("/")) continue;
    if (flags & 0x1) throw fail(`member ${name} is encrypted`);
    if (method !== 0 && method !== 8) throw fail(`member ${name} uses compression method ${method}`);
    total += size;
    if (total > maxBytes) throw fail(`members declare more than ${maxBytes} bytes uncompressed; refused`);
    if (u32(localAt) !== LOCAL) throw fail(`member ${name}: local header damaged`);
    const start = localAt + 30 + u16(localAt + 26) + u16(localAt + 28);
    if (start + packed > body.length) throw fail(`member ${name} is truncated`);
    const raw = body.subarray(start, start + packed);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
      } catch (err) {
        throw fail(`member ${name} does not inflate (${(err as Error).message})`);
      }
    }
    if (data.length !== size)
      throw fail(`member ${name} is ${data.length} bytes, the directory says ${size}`);
    if (crc32(data) >>> 0 !== crc) throw fail(`member ${name} fails its CRC-32 check`);
    members.push({ name, data });
  }
  return members;
}
