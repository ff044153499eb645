/**
 * A little-endian reader over a byte window. Running past the end throws `OutOfBytes`, which the
 * GGUF header parser catches to read a larger window of the file (headers can be megabytes: the
 * tokenizer vocabulary lives there) or to report a truncated file.
 */
export class OutOfBytes extends Error {
  constructor(readonly needed: number) {
    super(`needed byte ${needed} past the end of the window`);
  }
}

const decoder = new TextDecoder('utf-8');

export class ByteCursor {
  private readonly view: DataView;
  position = 0;

  /** `totalSize` is the size of the whole source when `bytes` is only its first window. */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly totalSize: number = bytes.byteLength,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left in the whole source (not only in the window). */
  remaining(): number {
    return this.totalSize - this.position;
  }

  private take(n: number): number {
    const at = this.position;
    if (at + n > this.bytes.byteLength) throw new OutOfBytes(at + n);
    this.position = at + n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  i8(): number {
    return this.view.getInt8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  i16(): number {
    return this.view.getInt16(this.take(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.take(4), true);
  }
  f32(): number {
    return this.view.getFloat32(this.take(4), true);
  }
  f64(): number {
    return this.view.getFloat64(this.take(8), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.take(8), true);
  }
  i64(): bigint {
    return this.view.getBigInt64(this.take(8), true);
  }
  bytesOf(n: number): Uint8Array {
    const at = this.take(n);
    return this.bytes.subarray(at, at + n);
  }
  /** UTF-8 text of `n` bytes; invalid sequences become U+FFFD rather than failing the whole file. */
  utf8(n: number): string {
    return decoder.decode(this.bytesOf(n));
  }
}

/** A 64-bit integer as a number when it is exactly representable, else as a bigint. */
export function narrowBigint(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value;
}
