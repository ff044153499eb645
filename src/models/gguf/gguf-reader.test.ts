import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GgufValue } from './gguf-metadata.ts';
import { readGgufHeader, readGgufTensor, readGgufTensorBytes } from './gguf-reader.ts';
import { type GgufWriterTensor, writeGguf } from './gguf-writer.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gguf-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const metadata = new Map<string, GgufValue>([
  ['general.architecture', { type: 'string', value: 'llama' }],
  ['t.u8', { type: 'u8', value: 255 }],
  ['t.i8', { type: 'i8', value: -128 }],
  ['t.u16', { type: 'u16', value: 65535 }],
  ['t.i16', { type: 'i16', value: -32768 }],
  ['t.u32', { type: 'u32', value: 4294967295 }],
  ['t.i32', { type: 'i32', value: -2147483648 }],
  ['t.f32', { type: 'f32', value: 0.5 }],
  ['t.bool', { type: 'bool', value: true }],
  ['t.string', { type: 'string', value: 'héllo ✓' }],
  ['t.u64', { type: 'u64', value: 2n ** 63n + 5n }],
  ['t.i64', { type: 'i64', value: -42 }],
  ['t.f64', { type: 'f64', value: Math.PI }],
  ['t.strings', { type: 'array', itemType: 'string', items: ['a', '', 'Ġb c'] }],
  ['t.ints', { type: 'array', itemType: 'i32', items: [1, -2, 3] }],
  ['t.empty', { type: 'array', itemType: 'f32', items: [] }],
  [
    't.nested',
    {
      type: 'array',
      itemType: 'array',
      items: [
        { type: 'array', itemType: 'u8', items: [1, 2] },
        { type: 'array', itemType: 'string', items: ['x'] },
      ],
    },
  ],
]);

function ramp(n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i - n / 2) * scale);
}

const tensors: GgufWriterTensor[] = [
  { name: 'a.weight', shape: [3, 4], type: 'F32', data: ramp(12, 0.1) },
  { name: 'b.weight', shape: [2, 3, 5], type: 'F16', data: ramp(30, 0.25) },
  { name: 'c.bias', shape: [7], type: 'F32', data: ramp(7, 1.5) },
];

describe('GGUF writer and reader', () => {
  it('round-trips metadata of every type, tensor infos and data', async () => {
    const path = join(dir, 'round.gguf');
    await writeGguf({ path, metadata, tensors });
    const header = await readGgufHeader({ path });
    assert.equal(header.version, 3);
    assert.equal(header.alignment, 32);
    assert.deepEqual([...header.metadata.entries], [...metadata]);
    assert.equal(header.dataOffset % 32, 0);
    const b = header.tensorsByName.get('b.weight')!;
    assert.deepEqual(b.ne, [5, 3, 2]);
    assert.deepEqual(b.shape, [2, 3, 5]);
    assert.equal(b.type.name, 'F16');
    assert.equal(b.byteLength, 60);
    for (const t of header.tensors) assert.equal(t.relativeOffset % 32, 0);
    for (const t of tensors) {
      // Ramp values are multiples of 0.05/0.25/1.5: F16 keeps b exactly; F32 is bit-exact.
      assert.deepEqual([...(await readGgufTensor({ header, name: t.name }))], [...t.data], t.name);
    }
    assert.equal(header.metadata.number('t.u32'), 4294967295);
    assert.equal(header.metadata.string('t.string'), 'héllo ✓');
    assert.deepEqual(header.metadata.stringArray('t.strings'), ['a', '', 'Ġb c']);
    assert.deepEqual(header.metadata.optionalNumberArray('t.ints'), [1, -2, 3]);
    assert.equal(header.metadata.optionalBool('t.bool'), true);
  });

  it('honours general.alignment for the data section and every tensor', async () => {
    const path = join(dir, 'aligned.gguf');
    const withAlignment = new Map(metadata).set('general.alignment', { type: 'u32', value: 64 });
    await writeGguf({ path, metadata: withAlignment, tensors });
    const header = await readGgufHeader({ path });
    assert.equal(header.alignment, 64);
    assert.equal(header.dataOffset % 64, 0);
    assert.deepEqual(
      header.tensors.map((t) => t.relativeOffset),
      [0, 64, 128],
    );
    assert.deepEqual([...(await readGgufTensor({ header, name: 'c.bias' }))], [...tensors[2]!.data]);
  });

  it('reads headers larger than its first read window', async () => {
    const path = join(dir, 'big-header.gguf');
    const big = new Map(metadata)
      .set('t.big', { type: 'string', value: 'x'.repeat(5_000_000) })
      .set('t.many', {
        type: 'array',
        itemType: 'i32',
        items: Array.from({ length: 300_000 }, (_, i) => i - 7),
      })
      .set('t.words', {
        type: 'array',
        itemType: 'string',
        items: Array.from({ length: 50_000 }, (_, i) => `w${i}`),
      });
    await writeGguf({ path, metadata: big, tensors });
    const header = await readGgufHeader({ path });
    assert.equal(header.metadata.string('t.big').length, 5_000_000);
    assert.deepEqual([...header.metadata.entries], [...big]);
    assert.deepEqual([...(await readGgufTensor({ header, name: 'a.weight' }))], [...tensors[0]!.data]);
  });

  it('gives metadata errors that name the file, the key and the expected type', async () => {
    const path = join(dir, 'round.gguf');
    const header = await readGgufHeader({ path });
    assert.throws(() => header.metadata.number('t.string'), {
      message: `${path}, field t.string: expected a number; found string "héllo ✓"`,
    });
    assert.throws(
      () => header.metadata.string('missing.key'),
      /field missing\.key: expected a string; the key is missing/,
    );
    assert.throws(() => header.metadata.number('t.u64'), /field t\.u64: expected a number below 2\^53/);
    await assert.rejects(readGgufTensor({ header, name: 'nope' }), /no tensor named 'nope'/);
  });

  it('rejects a bad magic and an unsupported version, naming the file', async () => {
    const good = await readFile(join(dir, 'round.gguf'));
    const badMagic = join(dir, 'bad-magic.gguf');
    await writeFile(badMagic, Buffer.concat([Buffer.from('GGML'), good.subarray(4)]));
    await assert.rejects(readGgufHeader({ path: badMagic }), {
      message: `${badMagic}: bad magic: expected "GGUF" (47 47 55 46), found 47 47 4d 4c`,
    });
    const v1 = join(dir, 'v1.gguf');
    const copy = Buffer.from(good);
    copy.writeUInt32LE(1, 4);
    await writeFile(v1, copy);
    await assert.rejects(
      readGgufHeader({ path: v1 }),
      /v1\.gguf: unsupported GGUF version 1; supported: 2, 3/,
    );
    await assert.rejects(
      readGgufHeader({ path: join(dir, 'absent.gguf') }),
      /absent\.gguf: cannot open GGUF file/,
    );
  });

  it('reports a truncated file, naming the tensor or what was being read', async () => {
    const good = await readFile(join(dir, 'round.gguf'));
    const header = await readGgufHeader({ path: join(dir, 'round.gguf') });
    const cutData = join(dir, 'cut-data.gguf');
    await writeFile(cutData, good.subarray(0, header.dataOffset + 70));
    await assert.rejects(
      readGgufHeader({ path: cutData }),
      /cut-data\.gguf: truncated file: tensor 'b\.weight' needs bytes \d+-\d+ but the file has \d+ bytes/,
    );
    const cutHeader = join(dir, 'cut-header.gguf');
    await writeFile(cutHeader, good);
    await truncate(cutHeader, 200);
    await assert.rejects(
      readGgufHeader({ path: cutHeader }),
      /cut-header\.gguf: truncated file: it ends \(200 bytes\) while reading metadata value of 't\.\w+'/,
    );
  });

  it('reads the raw bytes of a tensor from its range', async () => {
    const header = await readGgufHeader({ path: join(dir, 'round.gguf') });
    const bytes = await readGgufTensorBytes({ header, name: 'a.weight' });
    assert.deepEqual(new Float32Array(bytes.buffer), tensors[0]!.data);
  });

  it('refuses unsupported quantisation types listing the supported ones', async () => {
    // A tensor declared Q5_0 (ggml type 6): patch the type id of c.bias in a written file.
    const path = join(dir, 'q5.gguf');
    await writeGguf({
      path,
      metadata,
      tensors: [{ name: 'c.bias', shape: [32], type: 'F32', data: ramp(32, 1) }],
    });
    const bytes = await readFile(path);
    const nameAt = bytes.indexOf(Buffer.from('c.bias'));
    const typeAt = nameAt + 'c.bias'.length + 4 + 8; // n_dims u32, one ne u64
    bytes.writeUInt32LE(6, typeAt);
    await writeFile(path, bytes);
    const header = await readGgufHeader({ path });
    assert.equal(header.tensorsByName.get('c.bias')!.type.name, 'Q5_0');
    await assert.rejects(
      readGgufTensor({ header, name: 'c.bias' }),
      /q5\.gguf: tensor 'c\.bias': unsupported quantisation type Q5_0 \(ggml type 6\); supported: F32, F16, Q4_0, Q4_1, Q8_0, Q4_K, Q6_K, BF16/,
    );
  });

  it('rejects writer values outside their declared type', async () => {
    await assert.rejects(
      writeGguf({
        path: join(dir, 'bad.gguf'),
        metadata: new Map([['k', { type: 'u8', value: 256 }]]),
        tensors: [],
      }),
      /field k: expected an integer in \[0,255\] for a u8 value, found 256/,
    );
    await assert.rejects(
      writeGguf({
        path: join(dir, 'bad.gguf'),
        metadata: new Map(),
        tensors: [{ name: 'x', shape: [2, 2], type: 'F32', data: new Float32Array(3) }],
      }),
      /tensor 'x': shape \[2,2\] holds 4 values, data has 3/,
    );
  });
});
