import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { RefConflictError } from './errors.ts';
import { LocalFolderStore } from './local-store.ts';
import { checkpointRef, listCheckpoints, readRunManifest, writeRunManifest } from './run-refs.ts';

const root = mkdtempSync(join(tmpdir(), 'anchorage-refs-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshStore = () => new LocalFolderStore({ root: join(root, `s${n++}`) });
const STORE_MODULE = resolve(import.meta.dirname, 'local-store.ts');

function inChild(options: { root: string; args: unknown; body: string }): Promise<unknown> {
  const code = `
    import { LocalFolderStore } from ${JSON.stringify(STORE_MODULE)};
    const store = new LocalFolderStore({ root: ${JSON.stringify(options.root)} });
    const args = ${JSON.stringify(options.args)};
    const result = await (async () => { ${options.body} })();
    process.stdout.write(JSON.stringify(result ?? null));
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((res, rej) =>
    child.once('exit', (code) =>
      code === 0 ? res(JSON.parse(stdout)) : rej(new Error(`child exited ${code}: ${stderr}`)),
    ),
  );
}

describe('refs', () => {
  it('create-only: first write wins, the same address again is a no-op, another address is a clear conflict', async () => {
    const store = freshStore();
    const a = (await store.putJson({ step: 3, weights: 'a' })).address;
    const b = (await store.putJson({ step: 3, weights: 'b' })).address;
    const ref = checkpointRef({ trainRunId: 'run-1', step: 3 });
    assert.equal(ref, 'runs/run-1/checkpoints/step-3');
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
    const store = freshStore();
    const addresses: string[] = [];
    for (let i = 0; i < 6; i++) addresses.push((await store.putJson({ writer: i })).address);
    const ref = 'runs/race/checkpoints/step-1';
    const results = await Promise.all(
      addresses.map((address) =>
        inChild({
          root: store.root,
          args: { ref, address },
          body: `try { return (await store.setRef(args.ref, args.address, { mode: 'create-only' })).created ? 'won' : 'same'; } catch (e) { if (e.name === 'RefConflictError') return 'conflict'; throw e; }`,
        }),
      ),
    );
    assert.deepEqual([...results].sort(), [
      'conflict',
      'conflict',
      'conflict',
      'conflict',
      'conflict',
      'won',
    ]);
    const winner = addresses[results.indexOf('won')];
    assert.equal(await store.getRef(ref), winner);
  });

  it('compare-and-set: moves only from the expected address; no update is lost under contention', async () => {
    const store = freshStore();
    const zero = (await store.putJson({ n: 0 })).address;
    const one = (await store.putJson({ n: 1 })).address;
    await store.setRef('runs/r/latest', zero, { mode: 'compare-and-set', expected: undefined });
    await assert.rejects(
      store.setRef('runs/r/latest', one, { mode: 'compare-and-set', expected: undefined }),
      new RegExp(`ref runs/r/latest holds ${zero}, expected nothing; not moved to ${one}`),
    );
    assert.deepEqual(await store.setRef('runs/r/latest', one, { mode: 'compare-and-set', expected: zero }), {
      created: true,
      previous: zero,
    });

    // Three processes and this one each add 1 to a counter ten times with read-modify-CAS loops.
    const body = `
      for (let i = 0; i < 10; i++) {
        for (;;) {
          const current = await store.getRef('counter');
          const value = current === undefined ? 0 : (await store.getJson(current)).n;
          const next = (await store.putJson({ n: value + 1, by: process.pid, i })).address;
          try { await store.setRef('counter', next, { mode: 'compare-and-set', expected: current }); break; }
          catch (e) { if (e.name !== 'RefConflictError') throw e; }
        }
      }`;
    const localBody = new Function('store', `return (async () => { ${body} })();`) as (
      s: LocalFolderStore,
    ) => Promise<void>;
    await Promise.all([
      ...Array.from({ length: 3 }, () => inChild({ root: store.root, args: null, body })),
      localBody(store),
    ]);
    const final = await store.getRef('counter');
    assert.equal(((await store.getJson(final!)) as { n: number }).n, 40);
  });

  it('overwrite, refs to absent objects, bad names, listing by prefix', async () => {
    const store = freshStore();
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
    // A ref and a folder of refs may share a name.
    await store.setRef('runs/x/checkpoints', b, { mode: 'create-only' });
    assert.deepEqual(
      (await store.listRefs('runs/x/')).map((r) => r.name),
      [
        'runs/x/checkpoints',
        'runs/x/checkpoints/step-1',
        'runs/x/checkpoints/step-10',
        'runs/x/checkpoints/step-2',
        'runs/x/pointer',
      ],
    );
    assert.deepEqual(
      (await listCheckpoints({ store, trainRunId: 'x' })).map((c) => c.step),
      [1, 2, 10],
    );
    // A ref file damaged by hand is reported, not silently used.
    writeFileSync(store.refPath('runs/x/pointer'), 'garbage\n');
    await assert.rejects(
      store.getRef('runs/x/pointer'),
      /ref runs\/x\/pointer holds 'garbage', not a content address/,
    );
  });

  it('run manifests list the run refs and merge their meta across versions', async () => {
    const store = freshStore();
    assert.equal(await readRunManifest({ store, trainRunId: 'm1' }), undefined);
    const ckpt = (await store.putJson({ w: 1 })).address;
    await store.setRef(checkpointRef({ trainRunId: 'm1', step: 0 }), ckpt, { mode: 'create-only' });
    const now = () => new Date('2026-01-02T03:04:05Z');
    await writeRunManifest({ store, trainRunId: 'm1', meta: { model: 'smollm2', stage: 1 }, now });
    const second = await writeRunManifest({ store, trainRunId: 'm1', meta: { stage: 2 }, now });
    const read = await readRunManifest({ store, trainRunId: 'm1' });
    assert.deepEqual(read, second.manifest);
    assert.deepEqual(read, {
      format: 'anchorage.run-manifest/1',
      trainRunId: 'm1',
      updatedAt: '2026-01-02T03:04:05.000Z',
      refs: { 'runs/m1/checkpoints/step-0': ckpt },
      meta: { model: 'smollm2', stage: 2 },
    });
    await assert.rejects(writeRunManifest({ store, trainRunId: 'bad/id' }), /expected a training run id/);
  });
});
