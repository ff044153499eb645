/** Decodes whole blocks of one ggml type into float32 values (dequantize.ts registers them). */
export interface BlockDecoder {
  readonly typeName: string;
  /** Decode `blockCount` blocks from `bytes` into `out` (blockCount × block elements values). */
  decode(options: { bytes: Uint8Array; out: Float32Array; blockCount: number }): void;
}
