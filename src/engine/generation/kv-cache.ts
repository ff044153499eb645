import { Tensor } from 'onnxruntime-node';
import { ValidationError } from '../../util/errors.ts';

/**
 * The KV cache of a generation, in the session worker: per layer a key and a value buffer of
 * `slots` rows. A slot holds one sequence's keys and values at positions 0..len-1; keys are stored
 * transposed ([slots, KV, D, M]) so that attention multiplies by them without a transpose, values
 * as [slots, KV, M, D]; M is the capacity in positions.
 *
 * The generation graph reads the buffers as zero-copy inputs and returns only the new tokens' keys
 * and values, which `write` puts in place: a decode step moves B·KV·D numbers per layer, never the
 * cache. (ONNX Runtime's Node binding copies preallocated outputs instead of writing into them, so
 * a cache passed out of the graph would be copied whole at every step.)
 *
 * Rows are fed as views: `tensors(start, count)` covers slots start..start+count-1, which is why
 * the engine keeps running sequences in a contiguous run of slots (`copy` fills a hole).
 */
export class KvCache {
  private keys: Float32Array[];
  private values: Float32Array[];
  private views = new Map<string, Tensor[]>();

  constructor(
    readonly layers: number,
    readonly slots: number,
    readonly kvHeads: number,
    readonly headDim: number,
    private positions: number,
  ) {
    if (!(slots >= 1 && positions >= 1)) {
      throw new ValidationError(
        `KV cache: needs at least one slot and one position (${slots}, ${positions})`,
      );
    }
    this.keys = Array.from({ length: layers }, () => new Float32Array(this.slotSize * slots));
    this.values = Array.from({ length: layers }, () => new Float32Array(this.slotSize * slots));
  }

  /** Positions a slot can hold. */
  get capacity(): number {
    return this.positions;
  }

  /** Floats of one slot in one buffer. */
  private get slotSize(): number {
    return this.kvHeads * this.positions * this.headDim;
  }

  /** Bytes held (both buffers of every layer). */
  get bytes(): number {
    return 2 * this.layers * this.slots * this.slotSize * 4;
  }

  /** ORT tensors over slots start..start+count-1: [key_0, value_0, key_1, ...]. */
  tensors(start: number, count: number): Tensor[] {
    if (start < 0 || count < 1 || start + count > this.slots) {
      throw new ValidationError(
        `KV cache: slots ${start}..${start + count - 1} outside 0..${this.slots - 1}`,
      );
    }
    const id = `${start}:${count}`;
    let views = this.views.get(id);
    if (views === undefined) {
      const [from, to] = [start * this.slotSize, (start + count) * this.slotSize];
      const [KV, M, D] = [this.kvHeads, this.positions, this.headDim];
      views = [];
      for (let l = 0; l < this.layers; l++) {
        views.push(
          new Tensor('float32', (this.keys[l] as Float32Array).subarray(from, to), [count, KV, D, M]),
        );
        views.push(
          new Tensor('float32', (this.values[l] as Float32Array).subarray(from, to), [count, KV, M, D]),
        );
      }
      this.views.set(id, views);
    }
    return views;
  }

  /**
   * Writes new keys and values of one layer: row `row` of the graph's [rows, KV, T, D] outputs,
   * its first `count` tokens, into `slot` at positions `at`..`at`+count-1.
   */
  write(options: {
    layer: number;
    slot: number;
    at: number;
    newKey: Float32Array;
    newValue: Float32Array;
    row: number;
    width: number;
    count: number;
  }): void {
    const { slot, at, row, width, count } = options;
    const [KV, M, D] = [this.kvHeads, this.positions, this.headDim];
    this.checkSlot(slot);
    this.checkPositions(at, count);
    const rows = options.newKey.length / (KV * width * D);
    if (!(count <= width && row >= 0 && row < rows && options.newValue.length === options.newKey.length)) {
      throw new ValidationError(
        `KV cache: ${count} tokens of row ${row} from new keys and values of ${rows} rows of width ${width}`,
      );
    }
    const keys = this.keys[options.layer] as Float32Array;
    const values = this.values[options.layer] as Float32Array;
    for (let h = 0; h < KV; h++) {
      const src = (row * KV + h) * width * D; // [row, h, 0, 0] of the new tokens
      const kBase = (slot * KV + h) * D * M; // [slot, h, 0, 0] of the transposed keys
      for (let t = 0; t < count; t++) {
        const s = src + t * D;
        for (let d = 0; d < D; d++) keys[kBase + d * M + at + t] = options.newKey[s + d] as number;
      }
      values.set(options.newValue.subarray(src, src + count * D), ((slot * KV + h) * M + at) * D);
    }
  }

  /** Copies positions 0..length-1 of slot `from` into slot `to` (every layer, keys and values). */
  copy(options: { from: number; to: number; length: number }): void {
    const { from, to, length } = options;
    this.checkSlot(from);
    this.checkSlot(to);
    this.checkPositions(0, length);
    if (from === to) return;
    const [KV, M, D] = [this.kvHeads, this.positions, this.headDim];
    for (let l = 0; l < this.layers; l++) {
      const keys = this.keys[l] as Float32Array;
      const values = this.values[l] as Float32Array;
      for (let h = 0; h < KV; h++) {
        for (let d = 0; d < D; d++) {
          const src = ((from * KV + h) * D + d) * M;
          keys.copyWithin(((to * KV + h) * D + d) * M, src, src + length);
        }
        const src = (from * KV + h) * M * D;
        values.copyWithin((to * KV + h) * M * D, src, src + length * D);
      }
    }
  }

  /**
   * Checked up front: typed arrays ignore writes out of bounds and copyWithin counts negative
   * indices from the end, so a bad slot or position would otherwise change another slot silently.
   */
  private checkSlot(slot: number): void {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < this.slots)) {
      throw new ValidationError(`KV cache: slot ${slot} outside 0..${this.slots - 1}`);
    }
  }

  private checkPositions(at: number, count: number): void {
    if (!(Number.isInteger(at) && at >= 0 && count >= 0)) {
      throw new ValidationError(`KV cache: positions ${at}..${at + count - 1}`);
    }
    if (at + count > this.positions) {
      throw new ValidationError(`KV cache: position ${at + count - 1} beyond capacity ${this.positions}`);
    }
  }

  /**
   * Gives every slot `capacity` positions, keeping the first `lengths[s]` positions of slot s:
   * grows when a slot fills up, shrinks when the long sequences have left (attention reads every
   * position). The buffers are reallocated, so earlier views are dropped.
   */
  resize(options: { capacity: number; lengths: readonly number[] }): void {
    const [KV, M, D] = [this.kvHeads, this.positions, this.headDim];
    const next = options.capacity;
    if (next === M) return;
    const longest = Math.max(0, ...options.lengths);
    if (next < longest || options.lengths.length > this.slots) {
      throw new ValidationError(`KV cache: cannot hold ${longest} positions in ${next}`);
    }
    const size = this.slots * KV * next * D;
    this.keys = this.keys.map((old) => {
      const out = new Float32Array(size);
      options.lengths.forEach((len, s) => {
        for (let row = s * KV * D; row < (s + 1) * KV * D; row++) {
          out.set(old.subarray(row * M, row * M + len), row * next);
        }
      });
      return out;
    });
    this.values = this.values.map((old) => {
      const out = new Float32Array(size);
      options.lengths.forEach((len, s) => {
        for (let h = s * KV; h < (s + 1) * KV; h++)
          out.set(old.subarray(h * M * D, (h * M + len) * D), h * next * D);
      });
      return out;
    });
    this.positions = next;
    this.views.clear();
  }
}
