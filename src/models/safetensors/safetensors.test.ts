import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256File, sha256Hex } from './content-hash.ts';
import { decodeSafetensors, readSafetensorsHeader, readSafetensorsTensor } from './safetensors-reader.ts';
import { encodeSafetensors, type SafetensorsWriterTensor, writeSafetensors } from './safetensors-writer.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'st-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A file written by the Python safetensors package from torch tensors (F32, F16, BF16, a scalar
// and an empty tensor), with the float32 values torch gives for each.
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/torch-safetensors.json', import.meta.url), 'utf8'),
) as {
  file: string;
  metadata: Record<string, string>;
  tensors: Record<string, { shape: number[]; dtype: string; values: number[] }>;
};
const DTYPE_NAMES: Record<string, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };

const tensors: SafetensorsWriterTensor[] = [
  { name: 'b', shape: [2, 3], dtype: 'F32', data: Float32Array.from([0.1, -2, 3e-7, 4, 5, -6]) },
  { name: 'a', shape: [4], dtype: 'BF16', data: Float32Array.from([1, -0.5, 384, 2 ** -10]) },
  { name: 'c', shape: [1, 2], dtype: 'F16', data: Float32Array.from([65504, -0.125]) },
];

describe('safetensors', () => {
  it('reads a file written by the Python safetensors package', async () => {
    const path = join(dir, 'torch.safetensors');
    await writeFile(path, Buffer.from(fixture.file, 'base64'));
    const header = await readSafetensorsHeader({ path });
    assert.deepEqual(header.metadata, fixture.metadata);
    assert.deepEqual([...header.tensors.keys()].sort(), Object.keys(fixture.tensors).sort());
    for (const [name, expected] of Object.entries(fixture.tensors)) {
      const info = header.tensors.get(name)!;
      assert.equal(info.dtype, DTYPE_NAMES[expected.dtype], name);
      assert.deepEqual(info.shape, expected.shape, name);
      assert.deepEqual([...(await readSafetensorsTensor({ header, name }))], expected.values, name);
    }
  });

  it('round-trips our writer through the file and in-memory readers', async () => {
    const path = join(dir, 'ours.safetensors');
    const written = await writeSafetensors({ path, tensors, metadata: { step: '3', format: 'pt' } });
    const header = await readSafetensorsHeader({ path });
    assert.deepEqual(header.metadata, { format: 'pt', step: '3' });
    assert.equal(header.dataOffset % 8, 0);
    const memory = decodeSafetensors({ bytes: await readFile(path), source: 'memory' });
    for (const t of tensors) {
      assert.deepEqual(header.tensors.get(t.name)?.shape, t.shape);
      assert.deepEqual(await readSafetensorsTensor({ header, name: t.name }), t.data, t.name);
      assert.deepEqual(memory.tensor(t.name), t.data, t.name);
    }
    assert.equal(written.sha256, await sha256File({ path }));
    assert.equal(written.byteLength, (await readFile(path)).byteLength);
  });

  it('encodes deterministically: tensor and metadata order do not change the bytes', () => {
    const one = encodeSafetensors({ tensors, metadata: { x: '1', y: '2' } });
    const two = encodeSafetensors({ tensors: [...tensors].reverse(), metadata: { y: '2', x: '1' } });
    assert.equal(sha256Hex(one), sha256Hex(two));
    const changed = encodeSafetensors({
      tensors: [{ ...tensors[0]!, data: Float32Array.from([0.1, -2, 3e-7, 4, 5, -7]) }, ...tensors.slice(1)],
      metadata: { x: '1', y: '2' },
    });
    assert.notEqual(sha256Hex(one), sha256Hex(changed));
    assert.equal(
      sha256Hex(new TextEncoder().encode('abc')),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('rounds to BF16 and F16 to nearest even on write', () => {
    const bytes = encodeSafetensors({
      tensors: [
        { name: 'h', shape: [1], dtype: 'F16', data: Float32Array.from([1 + 2 ** -11]) },
        { name: 'b', shape: [1], dtype: 'BF16', data: Float32Array.from([1 + 3 * 2 ** -8]) },
      ],
    });
    const decoded = decodeSafetensors({ bytes, source: 'x' });
    assert.deepEqual([...decoded.tensor('h')], [1]);
    assert.deepEqual([...decoded.tensor('b')], [1 + 2 ** -6]);
  });

  it('names the file and tensor in errors', async () => {
    const good = encodeSafetensors({ tensors });
    const truncated = join(dir, 'truncated.safetensors');
    await writeFile(truncated, good.subarray(0, good.byteLength - 4));
    await assert.rejects(
      readSafetensorsHeader({ path: truncated }),
      /truncated\.safetensors: truncated file: tensor '\w' ends at byte/,
    );

    const header = (json: object) => {
      const text = new TextEncoder().encode(JSON.stringify(json));
      const out = new Uint8Array(8 + text.byteLength + 16);
      new DataView(out.buffer).setBigUint64(0, BigInt(text.byteLength), true);
      out.set(text, 8);
      return out;
    };
    assert.throws(
      () =>
        decodeSafetensors({
          bytes: header({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }),
          source: 'm.st',
        }),
      /m\.st, field w\.data_offsets: data_offsets \[0, 8\] hold 8 bytes; shape \[3\] of F32 needs 12/,
    );
    assert.throws(
      () => decodeSafetensors({ bytes: header({ w: { dtype: 'F32', shape: 'x' } }), source: 'm.st' }),
      /m\.st, field w\.shape: expected \{dtype, shape, data_offsets\}/,
    );
    assert.throws(
      () =>
        decodeSafetensors({
          bytes: header({ w: { dtype: 'Q9', shape: [1], data_offsets: [0, 1] } }),
          source: 'm.st',
        }),
      /field w\.dtype: unknown dtype 'Q9'/,
    );
    const ints = decodeSafetensors({
      bytes: header({ w: { dtype: 'I32', shape: [2], data_offsets: [0, 8] } }),
      source: 'm.st',
    });
    assert.throws(
      () => ints.tensor('w'),
      /m\.st: tensor 'w': unknown safetensors float dtype 'I32'; known: BF16, F16, F32/,
    );
    assert.throws(() => ints.tensor('v'), /m\.st: no tensor named 'v'/);
    const notJson = new Uint8Array(16);
    new DataView(notJson.buffer).setBigUint64(0, 8n, true);
    notJson.set(new TextEncoder().encode('{bad json'.slice(0, 8)), 8);
    assert.throws(
      () => decodeSafetensors({ bytes: notJson, source: 'j.st' }),
      /j\.st: the header is not valid JSON/,
    );
  });
});
