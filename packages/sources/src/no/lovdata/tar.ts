// A small, strict reader of tar archives, fed in slices as they are
// decompressed: Lovdata's yearly Lovtidend archives are GNU tar in bzip2. Only
// what such archives use is read (ustar/POSIX and GNU headers, the ustar name
// prefix, GNU long names, pax `path` and `size`); anything it cannot read
// faithfully (sparse or multi-volume members, an unknown entry type, a bad
// checksum, a cut-off archive) is an error, never a partial listing.

import { ResponseTooLargeError, SourceShapeChangedError } from "@regwatch/core/errors";

const BLOCK = 512;
/** GNU long names and pax headers are a few hundred bytes; more is not a name. */
const MAX_META_BYTES = 1024 * 1024;

export interface TarLimits {
  /** Archive bytes read at most (headers, contents, padding). */
  maxBytes: number;
  /** Headers read at most (files, directories, long-name and pax headers). */
  maxMembers: number;
}

/** A regular file as its header describes it. */
export interface TarFile {
  /** The full path: pax `path`, else the GNU long name, else ustar prefix + name; a leading "./" dropped. */
  name: string;
  size: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
}

export interface TarReaderOptions {
  limits: TarLimits;
  /** Whether a regular file's content is wanted; the rest is skipped without being held. */
  select(file: TarFile): boolean;
  /** A wanted file, whole (a fresh array the callee may keep). */
  onFile(file: TarFile, content: Uint8Array): void;
  /** The archive's name in error messages. */
  name?: string;
}

export interface TarSummary {
  /** Headers read, of every type. */
  entries: number;
  /** Regular files among them. */
  files: number;
}

type Phase = "header" | "data" | "padding" | "end" | "trailer";
type Content = "file" | "long-name" | "pax" | "global-pax" | "skip";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const isZero = (bytes: Uint8Array) => bytes.every((b) => b === 0);

/**
 * Reads a tar archive written to it in slices (`write`), in order, and says
 * at `end` whether it was whole. Regular files that `select` wants are handed
 * to `onFile`; directories, links and files not wanted are skipped.
 */
export class TarReader {
  private readonly options: TarReaderOptions;
  private readonly label: string;
  private phase: Phase = "header";
  private readonly header = new Uint8Array(BLOCK);
  private headerFill = 0;
  /** Archive bytes consumed so far, and where the current header started (for messages). */
  private offset = 0;
  private headerAt = 0;
  private remaining = 0;
  private padding = 0;
  private content: Content = "skip";
  private target: Uint8Array | null = null;
  private targetFill = 0;
  private file: TarFile | null = null;
  /** The entry whose contents are being read, for messages. */
  private entryName = "";
  private longName: string | null = null;
  private paxPath: string | null = null;
  private paxSize: number | null = null;
  private readonly summary: TarSummary = { entries: 0, files: 0 };

  constructor(options: TarReaderOptions) {
    this.options = options;
    this.label = options.name ?? "tar archive";
  }

  private fail(message: string): never {
    throw new SourceShapeChangedError(`${this.label}: ${message}`);
  }

  write(chunk: Uint8Array): void {
    if (this.offset + chunk.length > this.options.limits.maxBytes)
      throw new ResponseTooLargeError(
        `${this.label}: more than ${this.options.limits.maxBytes} bytes of tar; refused`,
      );
    let i = 0;
    while (i < chunk.length) {
      const available = chunk.length - i;
      switch (this.phase) {
        case "header":
        case "end": {
          const n = Math.min(BLOCK - this.headerFill, available);
          this.header.set(chunk.subarray(i, i + n), this.headerFill);
          this.headerFill += n;
          i += n;
          this.offset += n;
          if (this.headerFill === BLOCK) {
            this.headerFill = 0;
            if (this.phase === "end") {
              if (!isZero(this.header))
                this.fail(`a lone zero block at byte ${this.offset - 2 * BLOCK} is followed by more entries`);
              this.phase = "trailer";
            } else this.readHeader();
          }
          break;
        }
        case "data": {
          const n = Math.min(this.remaining, available);
          if (this.target) this.target.set(chunk.subarray(i, i + n), this.targetFill);
          this.targetFill += n;
          this.remaining -= n;
          i += n;
          this.offset += n;
          if (this.remaining === 0) this.finishContent();
          break;
        }
        case "padding": {
          const n = Math.min(this.padding, available);
          this.padding -= n;
          i += n;
          this.offset += n;
          if (this.padding === 0) this.phase = "header";
          break;
        }
        case "trailer": {
          // Writers pad the archive to a whole record (10240 bytes for GNU tar) with zeros.
          for (; i < chunk.length; i++, this.offset++)
            if (chunk[i] !== 0) this.fail(`data after the end-of-archive marker, at byte ${this.offset}`);
          break;
        }
      }
    }
  }

  /** The archive is complete: its end-of-archive marker (two zero blocks) was read. */
  end(): TarSummary {
    if (this.phase === "trailer") return { ...this.summary };
    if (this.phase === "data" || this.phase === "padding")
      this.fail(`truncated inside the contents of "${this.entryName}"`);
    if (this.headerFill > 0) this.fail(`truncated inside a header at byte ${this.offset - this.headerFill}`);
    this.fail(
      this.phase === "end"
        ? "truncated: only one of the two end-of-archive zero blocks"
        : "truncated: no end-of-archive marker",
    );
  }

  private readHeader() {
    const h = this.header;
    this.headerAt = this.offset - BLOCK;
    if (isZero(h)) {
      if (this.longName !== null || this.paxPath !== null || this.paxSize !== null)
        this.fail(`a long-name or pax header at the end names no entry`);
      this.phase = "end";
      return;
    }
    if (++this.summary.entries > this.options.limits.maxMembers)
      throw new ResponseTooLargeError(
        `${this.label}: more than ${this.options.limits.maxMembers} entries; refused`,
      );
    this.checkChecksum();
    const magic = String.fromCharCode(...h.subarray(257, 265));
    const posix = magic === "ustar\u000000";
    if (!posix && magic !== "ustar  \u0000")
      this.fail(
        `header at byte ${this.headerAt} is neither ustar nor GNU tar (magic ${JSON.stringify(magic)})`,
      );
    const type = h[156] === 0 ? "0" : String.fromCharCode(h[156]!);
    let size = this.numeric(124, 12, "size");
    const mtime = this.numeric(136, 12, "mtime");

    // Headers that describe the next entry.
    if (type === "L" || type === "x" || type === "g" || type === "K") {
      this.entryName = `${type === "L" || type === "K" ? "GNU long-name" : "pax"} header`;
      if (type !== "K" && size > MAX_META_BYTES)
        this.fail(`a ${type === "L" ? "long-name" : "pax"} header of ${size} bytes at byte ${this.headerAt}`);
      const content: Content =
        type === "L" ? "long-name" : type === "x" ? "pax" : type === "g" ? "global-pax" : "skip";
      this.startContent(content, size, type !== "K");
      return;
    }

    const base = this.text(0, 100, "name");
    const prefix = posix ? this.text(345, 155, "prefix") : "";
    let name = this.paxPath ?? this.longName ?? (prefix ? `${prefix}/${base}` : base);
    size = this.paxSize ?? size;
    this.longName = this.paxPath = this.paxSize = null;
    while (name.startsWith("./")) name = name.slice(2);
    if (!name) this.fail(`an entry without a name at byte ${this.headerAt}`);
    this.entryName = name;

    switch (type) {
      case "0":
      case "7": {
        // A pre-POSIX writer marks a directory by its trailing slash only.
        if (name.endsWith("/")) {
          this.startContent("skip", size, false);
          return;
        }
        this.summary.files++;
        if (this.offset + size > this.options.limits.maxBytes)
          throw new ResponseTooLargeError(
            `${this.label}: "${name}" is ${size} bytes, past the ${this.options.limits.maxBytes}-byte cap; refused`,
          );
        const file: TarFile = { name, size, mtime };
        const wanted = this.options.select(file);
        this.entryName = name;
        this.startContent(wanted ? "file" : "skip", size, wanted);
        if (wanted && size > 0) this.file = file;
        else if (wanted) this.options.onFile(file, new Uint8Array(0));
        return;
      }
      // Hard and symbolic links carry no contents; they are not followed.
      case "1":
      case "2":
        this.startContent("skip", 0, false);
        return;
      // Devices, directories, FIFOs, GNU dump directories and volume labels: not documents.
      case "3":
      case "4":
      case "5":
      case "6":
      case "D":
      case "V":
        this.startContent("skip", size, false);
        return;
      case "S":
        this.fail(`"${name}" is a GNU sparse file; not supported`);
        break;
      case "M":
        this.fail(`"${name}" continues from another volume; not supported`);
        break;
      default:
        this.fail(`"${name}" has unknown entry type ${JSON.stringify(type)}`);
    }
  }

  private startContent(content: Content, size: number, keep: boolean) {
    this.content = content;
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    this.target = keep && content !== "skip" ? new Uint8Array(size) : null;
    this.targetFill = 0;
    this.file = null;
    if (size > 0) this.phase = "data";
    else if (content !== "file") this.finishContent();
  }

  private finishContent() {
    const data = this.target;
    this.target = null;
    this.phase = this.padding > 0 ? "padding" : "header";
    switch (this.content) {
      case "file":
        this.options.onFile(this.file!, data!);
        break;
      case "long-name": {
        const end = data!.indexOf(0);
        this.longName = this.decode(end < 0 ? data! : data!.subarray(0, end), "long name");
        break;
      }
      case "pax":
      case "global-pax": {
        const records = this.paxRecords(data!);
        // A global header sets defaults for every later entry: no archive of ours needs them.
        if (this.content === "global-pax") break;
        if (records.has("path")) this.paxPath = records.get("path")!;
        const size = records.get("size");
        if (size !== undefined) {
          if (!/^\d{1,15}$/.test(size))
            this.fail(`pax size "${size}" at byte ${this.headerAt} is not a size`);
          this.paxSize = Number(size);
        }
        break;
      }
      case "skip":
        break;
    }
    this.file = null;
  }

  /** "<length> <key>=<value>\n" records, the length counting the whole record. */
  private paxRecords(data: Uint8Array): Map<string, string> {
    const records = new Map<string, string>();
    let p = 0;
    while (p < data.length) {
      const space = data.indexOf(0x20, p);
      const digits = space > p ? String.fromCharCode(...data.subarray(p, space)) : "";
      const length = /^\d{1,7}$/.test(digits) ? Number(digits) : 0;
      if (!length || p + length > data.length || data[p + length - 1] !== 0x0a)
        this.fail(`malformed pax record at byte ${this.headerAt + BLOCK + p}`);
      const record = this.decode(data.subarray(space + 1, p + length - 1), "pax record");
      const eq = record.indexOf("=");
      if (eq <= 0) this.fail(`malformed pax record "${record}"`);
      records.set(record.slice(0, eq), record.slice(eq + 1));
      p += length;
    }
    return records;
  }

  /** The stored checksum against the header's byte sum, its own field read as spaces (unsigned, or signed as some old writers did). */
  private checkChecksum() {
    const h = this.header;
    const stored = this.numeric(148, 8, "checksum");
    let unsigned = 0;
    let signed = 0;
    for (let i = 0; i < BLOCK; i++) {
      const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
      unsigned += b;
      signed += b > 127 ? b - 256 : b;
    }
    if (stored !== unsigned && stored !== signed)
      this.fail(
        `header at byte ${this.headerAt} has a bad checksum (stored ${stored.toString(8)}, computed ${unsigned.toString(8)})`,
      );
  }

  /** An octal field (leading spaces, digits, then NULs or spaces), or GNU base-256 for large values. */
  private numeric(at: number, length: number, field: string): number {
    const h = this.header;
    if (h[at]! & 0x80) {
      if (h[at] === 0xff) this.fail(`negative ${field} at byte ${this.headerAt}`);
      let value = h[at]! & 0x7f;
      for (let i = at + 1; i < at + length; i++) value = value * 256 + h[i]!;
      if (!Number.isSafeInteger(value)) this.fail(`${field} too large at byte ${this.headerAt}`);
      return value;
    }
    let i = at;
    const end = at + length;
    while (i < end && h[i] === 0x20) i++;
    let value = 0;
    let digits = 0;
    for (; i < end && h[i]! >= 0x30 && h[i]! <= 0x37; i++, digits++) value = value * 8 + (h[i]! - 0x30);
    for (; i < end; i++) if (h[i] !== 0 && h[i] !== 0x20) digits = 0;
    if (!digits) this.fail(`${field} field of the header at byte ${this.headerAt} is not an octal number`);
    return value;
  }

  private text(at: number, length: number, field: string): string {
    const bytes = this.header.subarray(at, at + length);
    const end = bytes.indexOf(0);
    return this.decode(end < 0 ? bytes : bytes.subarray(0, end), field);
  }

  private decode(bytes: Uint8Array, what: string): string {
    try {
      return utf8.decode(bytes);
    } catch {
      return this.fail(`${what} at byte ${this.headerAt} is not UTF-8`);
    }
  }
}

/** A whole tar archive in memory, read with the same checks. */
export function readTar(bytes: Uint8Array, options: TarReaderOptions): TarSummary {
  const reader = new TarReader(options);
  reader.write(bytes);
  return reader.end();
}
