// seek-bzip 2.0.0 ships no types and there is no @types package. Only what
// bzip2.ts uses is declared: decoding a whole input into a byte sink.
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
  interface SeekBzip {
    /** Errors are TypeErrors whose `errorCode` is one of `Err` (negative numbers). */
    decode(input: SeekBzipInput | Uint8Array, output?: SeekBzipOutput, multistream?: boolean): unknown;
  }
  const bunzip: SeekBzip;
  export default bunzip;
}
