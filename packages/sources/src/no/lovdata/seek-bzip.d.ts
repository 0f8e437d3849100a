// seek-bzip 2.0.0 ships no types and there is no @types package. Only what
// bzip2.ts uses is declared: the decoder object its `decode` drives block by
// block (constructor, `_init_block`, `_read_bunzip`, `_start_bunzip`, `reader`,
// `streamCRC`), so a caller can stop between blocks.
declare module "seek-bzip" {
  /** Where decoded bytes go, one at a time. */
  interface SeekBzipOutput {
    writeByte(byte: number): void;
  }
  /** What is read from: one byte at a time; `eof` lets multistream decoding stop. */
  interface SeekBzipInput {
    readByte(): number;
    read(buffer: Uint8Array, offset: number, length: number): number;
    eof(): boolean;
  }
  /** One bzip2 stream being decoded; constructing it reads the stream header. */
  interface SeekBzipDecoder {
    /** Reads the next block's header and data; false at the end-of-stream marker. */
    _init_block(): boolean;
    /** Writes the block read by `_init_block` to the output and checks its CRC. */
    _read_bunzip(): void;
    /** Starts the next stream of a multistream input (reads its header). */
    _start_bunzip(input: SeekBzipInput, output: SeekBzipOutput): void;
    /** The bits after the end-of-stream marker: the stream CRC. */
    reader: { read(bits: number): number };
    /** The CRC of the stream as decoded so far. */
    streamCRC: number;
  }
  interface SeekBzip {
    /** Errors are TypeErrors whose `errorCode` is one of `Err` (negative numbers). */
    decode(input: SeekBzipInput | Uint8Array, output?: SeekBzipOutput, multistream?: boolean): unknown;
    new (input: SeekBzipInput, output: SeekBzipOutput): SeekBzipDecoder;
  }
  const bunzip: SeekBzip;
  export default bunzip;
}
