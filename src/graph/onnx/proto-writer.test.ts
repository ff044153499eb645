import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtoWriter } from './proto-writer.ts';

test('varints: small, multi-byte, 64-bit negative (ten bytes) and bigint', () => {
  assert.deepEqual([...new ProtoWriter().varint(1, 1).finish()], [0x08, 0x01]);
  assert.deepEqual([...new ProtoWriter().varint(1, 300).finish()], [0x08, 0xac, 0x02]);
  assert.deepEqual([...new ProtoWriter().varint(2, -1).finish()], [0x10, ...new Array(9).fill(0xff), 0x01]);
  assert.deepEqual(
    [...new ProtoWriter().varint(1, 2n ** 40n).finish()],
    [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20],
  );
});

test('fixed32 floats, strings and nested messages with their lengths', () => {
  assert.deepEqual([...new ProtoWriter().float(2, 1).finish()], [0x15, 0x00, 0x00, 0x80, 0x3f]);
  const inner = new ProtoWriter().string(1, 'ab');
  const outer = new ProtoWriter().message(7, inner).varint(3, 5);
  assert.deepEqual([...outer.finish()], [0x3a, 0x04, 0x0a, 0x02, 0x61, 0x62, 0x18, 0x05]);
});
