import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../util/errors.ts';
import { KvCache } from './kv-cache.ts';

const [LAYERS, SLOTS, KV, D] = [2, 3, 2, 3];

/** A distinct number for every (buffer, layer, slot, head, position, dim): exact in float32. */
function mark(options: { value: boolean; l: number; s: number; h: number; p: number; d: number }): number {
  const { l, s, h, p, d } = options;
  return (options.value ? -1 : 1) * (1 + d + 4 * (p + 16 * (h + 4 * (s + 8 * l))));
}

/** Reads [layer][slot][head][position][dim] back from the views, by the documented layouts. */
function read(options: { cache: KvCache; l: number; s: number; h: number; p: number; d: number }): {
  key: number;
  value: number;
} {
  const { cache, l, s, h, p, d } = options;
  const M = cache.capacity;
  const views = cache.tensors(0, cache.slots);
  const keys = views[2 * l]!.data as Float32Array; // [slots, KV, D, M]
  const values = views[2 * l + 1]!.data as Float32Array; // [slots, KV, M, D]
  return {
    key: keys[((s * KV + h) * D + d) * M + p] as number,
    value: values[((s * KV + h) * M + p) * D + d] as number,
  };
}

/**
 * The graph's new keys and values of one layer, [rows, KV, width, D], where row r holds, at token
 * t, the marks of slot `slots[r]` at position `at[r] + t`.
 */
function newTokens(options: { l: number; slots: number[]; at: number[]; width: number }) {
  const { l, width } = options;
  const rows = options.slots.length;
  const newKey = new Float32Array(rows * KV * width * D);
  const newValue = new Float32Array(rows * KV * width * D);
  options.slots.forEach((s, r) => {
    for (let h = 0; h < KV; h++) {
      for (let t = 0; t < width; t++) {
        for (let d = 0; d < D; d++) {
          const i = ((r * KV + h) * width + t) * D + d;
          const p = (options.at[r] as number) + t;
          newKey[i] = mark({ value: false, l, s, h, p, d });
          newValue[i] = mark({ value: true, l, s, h, p, d });
        }
      }
    }
  });
  return { newKey, newValue };
}

/** Writes positions at..at+count-1 of `slot` (every layer) from row `row` of a 2-row output. */
function fill(cache: KvCache, options: { slot: number; at: number; count: number; row?: number }) {
  const row = options.row ?? 0;
  const width = options.count + 1; // one padding token, as a right-padded prefill has
  for (let l = 0; l < LAYERS; l++) {
    const slots = row === 0 ? [options.slot, 99] : [99, options.slot];
    const { newKey, newValue } = newTokens({ l, slots, at: [options.at, options.at], width });
    cache.write({
      layer: l,
      slot: options.slot,
      at: options.at,
      newKey,
      newValue,
      row,
      width,
      count: options.count,
    });
  }
}

/** Asserts slot s holds its own marks at positions 0..length-1 and zeros after them. */
function assertSlot(cache: KvCache, options: { s: number; length: number }) {
  for (let l = 0; l < LAYERS; l++) {
    for (let h = 0; h < KV; h++) {
      for (let p = 0; p < cache.capacity; p++) {
        for (let d = 0; d < D; d++) {
          const got = read({ cache, l, s: options.s, h, p, d });
          const at = `slot ${options.s} layer ${l} head ${h} position ${p} dim ${d}`;
          if (p < options.length) {
            assert.equal(got.key, mark({ value: false, l, s: options.s, h, p, d }), `key at ${at}`);
            assert.equal(got.value, mark({ value: true, l, s: options.s, h, p, d }), `value at ${at}`);
          } else {
            assert.equal(got.key, 0, `key at ${at}`);
            assert.equal(got.value, 0, `value at ${at}`);
          }
        }
      }
    }
  }
}

test('write puts row r of [rows, KV, T, D] into the transposed keys and the values of its slot', () => {
  const cache = new KvCache(LAYERS, SLOTS, KV, D, 6);
  assert.equal(cache.capacity, 6);
  assert.equal(cache.bytes, 2 * LAYERS * SLOTS * KV * 6 * D * 4);
  const views = cache.tensors(0, SLOTS);
  assert.deepEqual(views[0]!.dims, [SLOTS, KV, D, 6]);
  assert.deepEqual(views[1]!.dims, [SLOTS, KV, 6, D]);
  fill(cache, { slot: 1, at: 0, count: 4, row: 1 }); // a prefill: second row of a batch
  fill(cache, { slot: 2, at: 0, count: 2 });
  fill(cache, { slot: 2, at: 2, count: 1 }); // a decode step appends
  assertSlot(cache, { s: 0, length: 0 });
  assertSlot(cache, { s: 1, length: 4 });
  assertSlot(cache, { s: 2, length: 3 });
  // Views are zero-copy and cached: the ones taken before the writes see them.
  assert.equal(cache.tensors(0, SLOTS), views);
  assert.equal((views[0]!.data as Float32Array)[0], 0);
});

test('tensors(start, count) covers slots start..start+count-1', () => {
  const cache = new KvCache(LAYERS, SLOTS, KV, D, 4);
  fill(cache, { slot: 1, at: 0, count: 3 });
  fill(cache, { slot: 2, at: 0, count: 2 });
  const views = cache.tensors(1, 2);
  assert.equal(views.length, 2 * LAYERS);
  const slotSize = KV * 4 * D;
  for (let l = 0; l < LAYERS; l++) {
    assert.deepEqual(views[2 * l]!.dims, [2, KV, D, 4]);
    assert.deepEqual(views[2 * l + 1]!.dims, [2, KV, 4, D]);
    const whole = cache.tensors(0, SLOTS);
    assert.deepEqual(
      views[2 * l]!.data,
      (whole[2 * l]!.data as Float32Array).subarray(slotSize, 3 * slotSize),
    );
    assert.deepEqual(
      views[2 * l + 1]!.data,
      (whole[2 * l + 1]!.data as Float32Array).subarray(slotSize, 3 * slotSize),
    );
  }
  // Slot 1's first key: layer 0, head 0, dim 0, position 0.
  assert.equal((views[0]!.data as Float32Array)[0], mark({ value: false, l: 0, s: 1, h: 0, p: 0, d: 0 }));
});

test("copy duplicates a slot's prefix in every layer and leaves the rest of the target alone", () => {
  const cache = new KvCache(LAYERS, SLOTS, KV, D, 5);
  fill(cache, { slot: 0, at: 0, count: 5 });
  fill(cache, { slot: 2, at: 0, count: 5 });
  cache.copy({ from: 0, to: 2, length: 3 });
  for (let l = 0; l < LAYERS; l++) {
    for (let h = 0; h < KV; h++) {
      for (let p = 0; p < 5; p++) {
        for (let d = 0; d < D; d++) {
          const got = read({ cache, l, s: 2, h, p, d });
          const source = p < 3 ? 0 : 2; // positions 3 and 4 keep slot 2's own marks
          assert.equal(got.key, mark({ value: false, l, s: source, h, p, d }));
          assert.equal(got.value, mark({ value: true, l, s: source, h, p, d }));
        }
      }
    }
  }
  assertSlot(cache, { s: 0, length: 5 }); // the source is unchanged
  assertSlot(cache, { s: 1, length: 0 }); // and so is the slot between them
  // Compaction copies down as well as up: slot 1 becomes slot 2 at every position.
  cache.copy({ from: 2, to: 1, length: 5 });
  for (let l = 0; l < LAYERS; l++) {
    for (let h = 0; h < KV; h++) {
      for (let p = 0; p < 5; p++) {
        for (let d = 0; d < D; d++) {
          assert.deepEqual(read({ cache, l, s: 1, h, p, d }), read({ cache, l, s: 2, h, p, d }));
        }
      }
    }
  }
});

test('resize keeps the first lengths[s] positions of every slot, zeros the rest and renews the views', () => {
  const cache = new KvCache(LAYERS, SLOTS, KV, D, 4);
  fill(cache, { slot: 0, at: 0, count: 4 });
  fill(cache, { slot: 1, at: 0, count: 2 });
  fill(cache, { slot: 2, at: 0, count: 4 });
  const before = cache.tensors(0, SLOTS);
  cache.resize({ capacity: 9, lengths: [4, 2, 3] }); // slot 2's position 3 is no longer needed
  assert.equal(cache.capacity, 9);
  assert.equal(cache.bytes, 2 * LAYERS * SLOTS * KV * 9 * D * 4);
  const after = cache.tensors(0, SLOTS);
  assert.notEqual(after, before);
  assert.deepEqual(after[0]!.dims, [SLOTS, KV, D, 9]);
  assert.deepEqual(after[1]!.dims, [SLOTS, KV, 9, D]);
  assertSlot(cache, { s: 0, length: 4 });
  assertSlot(cache, { s: 1, length: 2 });
  assertSlot(cache, { s: 2, length: 3 });
  // The new positions take writes.
  fill(cache, { slot: 1, at: 2, count: 7 });
  assertSlot(cache, { s: 1, length: 9 });
  // The capacity it already has changes nothing.
  cache.resize({ capacity: 9, lengths: [9, 9, 9] });
  assert.equal(cache.tensors(0, SLOTS), after);
  // Shrinking keeps what the lengths name; below a length it is refused.
  cache.resize({ capacity: 6, lengths: [4, 6, 3] });
  assert.equal(cache.capacity, 6);
  assertSlot(cache, { s: 0, length: 4 });
  assertSlot(cache, { s: 2, length: 3 });
  assert.throws(() => cache.resize({ capacity: 5, lengths: [4, 6, 3] }), /cannot hold 6 positions in 5/);
});

test('slots and positions out of range are refused, naming what was asked', () => {
  assert.throws(() => new KvCache(LAYERS, 0, KV, D, 4), ValidationError);
  assert.throws(() => new KvCache(LAYERS, 1, KV, D, 0), ValidationError);
  const cache = new KvCache(LAYERS, SLOTS, KV, D, 4);
  assert.throws(() => cache.tensors(-1, 1), /slots -1\.\.-1 outside 0\.\.2/);
  assert.throws(() => cache.tensors(0, 0), ValidationError);
  assert.throws(() => cache.tensors(2, 2), /slots 2\.\.3 outside 0\.\.2/);
  const { newKey, newValue } = newTokens({ l: 0, slots: [0], at: [0], width: 4 });
  const write = (over: { slot?: number; at?: number; count?: number; row?: number }) => () =>
    cache.write({ layer: 0, slot: 0, at: 0, newKey, newValue, row: 0, width: 4, count: 4, ...over });
  assert.throws(write({ at: 1 }), /position 4 beyond capacity 4/);
  assert.throws(write({ at: -1, count: 1 }), ValidationError);
  assert.throws(write({ slot: SLOTS }), /slot 3 outside 0\.\.2/);
  assert.throws(write({ slot: -1 }), /slot -1 outside 0\.\.2/);
  assert.throws(write({ row: 1 }), ValidationError); // the output has one row of width 4
  assert.throws(() => cache.copy({ from: 0, to: SLOTS, length: 1 }), /slot 3 outside 0\.\.2/);
  assert.throws(() => cache.copy({ from: -1, to: 0, length: 1 }), /slot -1 outside 0\.\.2/);
  assert.throws(() => cache.copy({ from: 0, to: 1, length: 5 }), /position 4 beyond capacity 4/);
  // None of the refused calls wrote anything.
  assertSlot(cache, { s: 0, length: 0 });
  assertSlot(cache, { s: 1, length: 0 });
  assertSlot(cache, { s: 2, length: 0 });
});
