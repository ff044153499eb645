import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { addressOf } from '../address.ts';
import { ArtifactNotFoundError, RefConflictError } from '../errors.ts';
import { checkpointRef, listCheckpoints, readRunManifest, writeRunManifest } from '../run-refs.ts';
import type { ArtifactStore } from '../store.ts';
import { inChild, type StoreHandle } from './store-child.ts';

/**
 * What every ArtifactStore promises (store.ts), as tests any implementation runs: content
 * addressing, verified reads, streaming files, and the three ref write modes, with create-only and
 * compare-and-set raced by several processes. `fresh` gives an empty store each time; `scratch` is a
 * folder for files the tests write.
 */
export function storeContract(options: {
  name: string;
  fresh: () => Promise<StoreHandle> | StoreHandle;
  scratch: () => string;
}): void {
  const { name, fresh, scratch } = options;

  describe(`${name}: the ArtifactStore contract, objects`, () => {
    it('stores bytes and canonical JSON under their SHA-256 and reads them back', async () => {
      const { store } = await fresh();
      const bytes = new TextEncoder().encode('hello store');
      const put = await store.putBytes(bytes);
      const hex = createHash('sha256').update(bytes).digest('hex');
      assert.deepEqual(put, { address: `sha256:${hex}`, size: bytes.byteLength });
      assert.equal(Buffer.from(await store.getBytes(put.address)).toString(), 'hello store');
      assert.equal(await store.has(put.address), true);
      assert.deepEqual(await store.putBytes(bytes), put, 'storing the same bytes again is harmless');

      const a = await store.putJson({ b: 1, a: [1, { y: 2, x: null }] });
      const b = await store.putJson({ a: [1, { x: null, y: 2 }], b: 1 });
      assert.equal(a.address, b.address, 'canonical JSON: key order does not change the address');
      assert.deepEqual(await store.getJson(a.address, z.object({ b: z.number() })), { b: 1 });
      await assert.rejects(
        store.getJson(a.address, z.object({ b: z.string() })),
        /field b: artifact sha256:[0-9a-f]{64}: .*expected string/,
      );
      const notJson = await store.putBytes(new TextEncoder().encode('{not json'));
      await assert.rejects(store.getJson(notJson.address), /artifact sha256:[0-9a-f]{64} is not JSON/);
    });

    it('says which address is missing, and rejects malformed addresses', async () => {
      const { store } = await fresh();
      const absent = addressOf(new TextEncoder().encode(`never stored ${randomBytes(8).toString('hex')}`));
      await assert.rejects(store.getBytes(absent), (err: unknown) => {
        assert.ok(err instanceof ArtifactNotFoundError);
        assert.ok(err.message.startsWith(`artifact ${absent} is not in the store at ${store.location} (no `));
        return true;
      });
      await assert.rejects(store.getFile(absent, join(scratch(), 'absent.bin')), ArtifactNotFoundError);
      await assert.rejects(
        store.getBytes('sha256:XYZ'),
        /expected a content address sha256:<64 lower-case hex digits>, got 'sha256:XYZ'/,
      );
      assert.equal(await store.has(absent), false);
    });

    it('streams files in and out, writing the copy atomically', async () => {
      const { store } = await fresh();
      const src = join(scratch(), `big-${randomBytes(4).toString('hex')}.bin`);
      const data = randomBytes(3 * 1024 * 1024 + 17);
      writeFileSync(src, data);
      const put = await store.putFile(src);
      assert.deepEqual(put, { address: addressOf(data), size: data.byteLength });
      const dest = join(scratch(), `out-${randomBytes(4).toString('hex')}`, 'copy.bin');
      await store.getFile(put.address, dest);
      assert.ok(readFileSync(dest).equals(data));
      assert.ok(Buffer.from(await store.getBytes(put.address)).equals(data));
      await assert.rejects(store.putFile(join(scratch(), 'nope.bin')), /nope\.bin: cannot store file/);
    });

    it('keeps one intact object when many writers store the same content at once', async () => {
      const { store } = await fresh();
      const data = randomBytes(256 * 1024);
      const puts = await Promise.all(Array.from({ length: 8 }, () => store.putBytes(data)));
      for (const put of puts) assert.equal(put.address, addressOf(data));
      assert.ok(Buffer.from(await store.getBytes(addressOf(data))).equals(data));
    });
  });

  describe(`${name}: the ArtifactStore contract, refs`, () => {
    it('create-only: first write wins, the same address again is a no-op, another address is a clear conflict', async () => {
      const { store } = await fresh();
      const a = (await store.putJson({ step: 3, weights: 'a' })).address;
      const b = (await store.putJson({ step: 3, weights: 'b' })).address;
      const ref = checkpointRef({ trainRunId: 'run-1', step: 3 });
      assert.deepEqual(await store.setRef(ref, a, { mode: 'create-only' }), {
        created: true,
        previous: undefined,
      });
      assert.deepEqual(await store.setRef(ref, a, { mode: 'create-only' }), { created: false, previous: a });
      await assert.rejects(store.setRef(ref, b, { mode: 'create-only' }), (err: unknown) => {
        assert.ok(err instanceof RefConflictError);
        assert.equal(
          err.message,
          `ref ${ref} already holds ${a}; refusing to replace it with ${b} (create-only)`,
        );
        assert.equal(err.current, a);
        assert.equal(err.attempted, b);
        return true;
      });
      assert.equal(await store.getRef(ref), a, 'the committed checkpoint is unchanged');
    });

    it('create-only across processes: exactly one of several racing writers commits', async () => {
      const target = await fresh();
      const addresses: string[] = [];
      for (let i = 0; i < 4; i++) addresses.push((await target.store.putJson({ writer: i })).address);
      const ref = 'runs/race/checkpoints/step-1';
      const results = await Promise.all(
        addresses.map(
          (address) =>
            inChild({
              target,
              args: { ref, address },
              body: `try { return (await store.setRef(args.ref, args.address, { mode: 'create-only' })).created ? 'won' : 'same'; } catch (e) { if (e.name === 'RefConflictError') return 'conflict'; throw e; }`,
            }).done,
        ),
      );
      assert.deepEqual([...results].sort(), ['conflict', 'conflict', 'conflict', 'won']);
      assert.equal(await target.store.getRef(ref), addresses[results.indexOf('won')]);
    });

    it('compare-and-set: moves only from the expected address; no update is lost under contention', async () => {
      const target = await fresh();
      const { store } = target;
      const zero = (await store.putJson({ n: 0 })).address;
      const one = (await store.putJson({ n: 1 })).address;
      await store.setRef('runs/r/latest', zero, { mode: 'compare-and-set', expected: undefined });
      await assert.rejects(
        store.setRef('runs/r/latest', one, { mode: 'compare-and-set', expected: undefined }),
        new RegExp(`ref runs/r/latest holds ${zero}, expected nothing; not moved to ${one}`),
      );
      assert.deepEqual(
        await store.setRef('runs/r/latest', one, { mode: 'compare-and-set', expected: zero }),
        {
          created: true,
          previous: zero,
        },
      );
      await assert.rejects(
        store.setRef('runs/r/latest', zero, { mode: 'compare-and-set', expected: zero }),
        new RegExp(
          `ref runs/r/latest holds ${one}, expected ${zero}; not moved to ${zero} \\(another writer`,
        ),
      );
      assert.deepEqual(await store.setRef('runs/r/latest', one, { mode: 'compare-and-set', expected: one }), {
        created: false,
        previous: one,
      });

      // Two processes and this one each add 1 to a counter with read-modify-CAS loops.
      const body = `
        for (let i = 0; i < 6; i++) {
          for (;;) {
            const current = await store.getRef('counter');
            const value = current === undefined ? 0 : (await store.getJson(current)).n;
            const next = (await store.putJson({ n: value + 1, by: process.pid, i })).address;
            try { await store.setRef('counter', next, { mode: 'compare-and-set', expected: current }); break; }
            catch (e) { if (e.name !== 'RefConflictError') throw e; }
          }
        }`;
      const here = new Function('store', `return (async () => { ${body} })();`) as (
        s: ArtifactStore,
      ) => Promise<void>;
      await Promise.all([...Array.from({ length: 2 }, () => inChild({ target, body }).done), here(store)]);
      const final = await store.getRef('counter');
      assert.equal(((await store.getJson(final!)) as { n: number }).n, 18);
    });

    it('overwrite, refs to absent objects, bad names, listing by prefix', async () => {
      const { store } = await fresh();
      const a = (await store.putJson('a')).address;
      const b = (await store.putJson('b')).address;
      assert.deepEqual(await store.setRef('runs/x/pointer', a, { mode: 'overwrite' }), {
        created: true,
        previous: undefined,
      });
      assert.deepEqual(await store.setRef('runs/x/pointer', b, { mode: 'overwrite' }), {
        created: true,
        previous: a,
      });
      assert.deepEqual(await store.setRef('runs/x/pointer', b, { mode: 'overwrite' }), {
        created: false,
        previous: b,
      });
      const absent = `sha256:${'0'.repeat(64)}`;
      await assert.rejects(
        store.setRef('runs/x/other', absent, { mode: 'overwrite' }),
        /the store holds no such object/,
      );
      await assert.rejects(
        store.setRef('runs/../escape', a, { mode: 'overwrite' }),
        /expected a ref name .* got 'runs\/\.\.\/escape'/,
      );
      assert.equal(await store.getRef('runs/x/never'), undefined);

      for (const step of [10, 2, 1]) {
        await store.setRef(checkpointRef({ trainRunId: 'x', step }), a, { mode: 'create-only' });
      }
      // A ref and a folder of refs may share a name; refs of another run are not listed.
      await store.setRef('runs/x/checkpoints', b, { mode: 'create-only' });
      await store.setRef('runs/xy/pointer', b, { mode: 'create-only' });
      assert.deepEqual(
        (await store.listRefs('runs/x/')).map((r) => [r.name, r.address]),
        [
          ['runs/x/checkpoints', b],
          ['runs/x/checkpoints/step-1', a],
          ['runs/x/checkpoints/step-10', a],
          ['runs/x/checkpoints/step-2', a],
          ['runs/x/pointer', b],
        ],
      );
      assert.equal((await store.listRefs()).length, 6);
      assert.deepEqual(await store.listRefs('runs/none/'), []);
      assert.deepEqual(
        (await listCheckpoints({ store, trainRunId: 'x' })).map((c) => c.step),
        [1, 2, 10],
      );
    });

    it('run manifests merge their meta across versions and name no refs', async () => {
      const { store } = await fresh();
      assert.equal(await readRunManifest({ store, trainRunId: 'm1' }), undefined);
      const ckpt = (await store.putJson({ w: 1 })).address;
      await store.setRef(checkpointRef({ trainRunId: 'm1', step: 0 }), ckpt, { mode: 'create-only' });
      const now = () => new Date('2026-01-02T03:04:05Z');
      await writeRunManifest({ store, trainRunId: 'm1', meta: { model: 'smollm2', stage: 1 }, now });
      const second = await writeRunManifest({ store, trainRunId: 'm1', meta: { stage: 2 }, now });
      const read = await readRunManifest({ store, trainRunId: 'm1' });
      assert.deepEqual(read, second.manifest);
      assert.equal(read?.format, 'anchorage.run-manifest/2');
      assert.equal('refs' in (read ?? {}), false, 'no list of refs that grows with the run');
      assert.deepEqual(read?.meta, { model: 'smollm2', stage: 2 });
    });
  });
}
