import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { addressOf } from './address.ts';
import { ArtifactNotFoundError, CorruptArtifactError } from './errors.ts';
import { LocalFolderStore } from './local-store.ts';
import { inChild, type StoreHandle } from './testing/store-child.ts';
import { storeContract } from './testing/store-contract.ts';

const root = mkdtempSync(join(tmpdir(), 'anchorage-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshStore = () => new LocalFolderStore({ root: join(root, `s${n++}`) });
const STORE_MODULE = resolve(import.meta.dirname, 'local-store.ts');

/** The store at `storeRoot` as another process opens it (for `inChild`). */
const handleFor = (storeRoot: string): StoreHandle => ({
  store: new LocalFolderStore({ root: storeRoot }),
  openCode: `import { LocalFolderStore } from ${JSON.stringify(STORE_MODULE)};
    const store = new LocalFolderStore({ root: ${JSON.stringify(storeRoot)} });`,
});

function objectFiles(storeRoot: string): string[] {
  const dir = join(storeRoot, 'objects');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((d) => readdirSync(join(dir, d)).map((f) => join(dir, d, f)));
}

describe('LocalFolderStore objects', () => {
  // What every store does is in the contract (testing/store-contract.ts, run below); these are the
  // folder's own: its layout, damaged files, temp files and writers in other processes.
  it('lays objects out as objects/ab/cdef... under the SHA-256 of their bytes', async () => {
    const store = freshStore();
    const bytes = new TextEncoder().encode('hello store');
    const put = await store.putBytes(bytes);
    const hex = createHash('sha256').update(bytes).digest('hex');
    assert.equal(put.address, `sha256:${hex}`);
    assert.ok(existsSync(join(store.root, 'objects', hex.slice(0, 2), hex.slice(2))));
    assert.equal(store.objectPath(put.address), join(store.root, 'objects', hex.slice(0, 2), hex.slice(2)));
  });

  it('names the missing file when an address is absent', async () => {
    const store = freshStore();
    const absent = addressOf(new TextEncoder().encode('never stored'));
    await assert.rejects(
      store.getBytes(absent),
      new RegExp(`\\(no objects/${absent.slice(7, 9)}/${absent.slice(9)}\\)`),
    );
  });

  it('detects stored bytes that no longer match their address', async () => {
    const store = freshStore();
    const { address } = await store.putBytes(new TextEncoder().encode('original'));
    writeFileSync(store.objectPath(address), 'tampered');
    await assert.rejects(store.getBytes(address), CorruptArtifactError);
  });

  it('a truncated object is detected when read, not loaded, and the next store of its content repairs it', async () => {
    const store = freshStore();
    const data = randomBytes(64 * 1024);
    const { address } = await store.putBytes(data);
    const path = store.objectPath(address);
    // A torn write left by something else (a copy killed mid-way, a disk error): half the bytes.
    truncateSync(path, data.byteLength / 2);
    await assert.rejects(
      store.getBytes(address),
      (err: unknown) =>
        err instanceof CorruptArtifactError &&
        err.message.includes(`stored object ${address} is damaged (32768 bytes that hash to sha256:`) &&
        err.message.includes('it is not loaded') &&
        err.location?.file === path,
    );
    await assert.rejects(store.getJson(address), CorruptArtifactError);
    await assert.rejects(store.getFile(address, join(root, 'torn-copy.bin')), CorruptArtifactError);
    assert.equal(existsSync(join(root, 'torn-copy.bin')), false, 'no copy of the damaged object');
    // Storing the content again (a retried writer) replaces the damaged object with a whole one.
    await store.putBytes(data);
    assert.ok(Buffer.from(await store.getBytes(address)).equals(data));
    truncateSync(path, 10);
    const src = join(root, 'whole.bin');
    writeFileSync(src, data);
    await store.putFile(src);
    assert.ok(Buffer.from(await store.getBytes(address)).equals(data));
  });

  it('keeps one intact object when many writers store the same content at once, across processes', async () => {
    const store = freshStore();
    const data = randomBytes(1024 * 1024);
    const dataFile = join(root, 'same-content.bin');
    writeFileSync(dataFile, data);
    const children = Array.from({ length: 4 }, () =>
      inChild({
        target: handleFor(store.root),
        args: dataFile,
        body: `const bytes = (await import('node:fs')).readFileSync(args); const out = []; for (let i = 0; i < 5; i++) out.push((await store.putBytes(bytes)).address); return out;`,
      }),
    );
    const local = await Promise.all(Array.from({ length: 16 }, () => store.putBytes(data)));
    const remote = (await Promise.all(children.map((c) => c.done))).flatMap((s) => s as string[]);
    const expected = addressOf(data);
    for (const address of [...local.map((p) => p.address), ...remote]) assert.equal(address, expected);
    assert.deepEqual(objectFiles(store.root), [store.objectPath(expected)]);
    assert.ok(Buffer.from(await store.getBytes(expected)).equals(data));
    assert.deepEqual(
      readdirSync(join(store.root, 'tmp')),
      [],
      'no temp file is left by writers that finished',
    );
  });

  it('is not corrupted by a writer killed mid-write, nor by temp files a crash left behind', async () => {
    const store = freshStore();
    // A crash after the temp file was written but before it was moved into place ...
    const pending = new TextEncoder().encode('pending content');
    mkdirSync(join(store.root, 'tmp'), { recursive: true });
    writeFileSync(join(store.root, 'tmp', '999-deadbeef'), pending);
    // ... and one in the middle of writing it.
    writeFileSync(join(store.root, 'tmp', '999-cafebabe'), 'pendi');
    await assert.rejects(store.getBytes(addressOf(pending)), ArtifactNotFoundError);
    assert.equal((await store.putBytes(pending)).address, addressOf(pending));
    assert.deepEqual(Buffer.from(await store.getBytes(addressOf(pending))).toString(), 'pending content');

    // A real process killed while it streams a large file in.
    const src = join(root, 'crash-src.bin');
    writeFileSync(src, randomBytes(64 * 1024 * 1024));
    const child = inChild({
      target: handleFor(store.root),
      args: src,
      body: 'for (;;) await store.putFile(args);',
    });
    const tmp = join(store.root, 'tmp');
    while (readdirSync(tmp).filter((f) => f.startsWith(`${child.pid}-`)).length === 0) {
      await new Promise((r) => setTimeout(r, 5));
    }
    process.kill(child.pid, 'SIGKILL');
    await assert.rejects(child.done, /child exited SIGKILL/);
    for (const file of objectFiles(store.root)) {
      const hex = createHash('sha256').update(readFileSync(file)).digest('hex');
      assert.equal(
        `${file.slice(-65, -63)}${file.slice(-62)}`,
        hex,
        `${file} holds the content its name says`,
      );
    }
    assert.ok(readdirSync(tmp).length >= 2, 'the crashed writers left temp files');
    for (const f of readdirSync(tmp)) utimesSync(join(tmp, f), new Date(0), new Date(0));
    assert.ok((await store.cleanTemp({ olderThanMs: 60_000 })) >= 2);
    assert.deepEqual(readdirSync(tmp), []);
    assert.deepEqual(Buffer.from(await store.getBytes(addressOf(pending))).toString(), 'pending content');
  });
});

describe('LocalFolderStore refs', () => {
  it("lists a prefix from the folder its whole segments name, so other runs' refs are not read", async () => {
    const store = freshStore();
    const a = (await store.putJson('a')).address;
    for (const name of [
      'runs/r1/checkpoints/step-1',
      'runs/r1/checkpoints',
      'runs/r1/latest',
      'runs/r2/latest',
    ])
      await store.setRef(name, a, { mode: 'create-only' });
    // A ref another run holds, made unreadable: listing r1 must not open it.
    writeFileSync(join(store.root, 'refs', 'runs', 'r2', 'latest.ref'), 'not an address');
    assert.deepEqual(
      (await store.listRefs('runs/r1/check')).map((r) => r.name),
      ['runs/r1/checkpoints', 'runs/r1/checkpoints/step-1'],
    );
    assert.deepEqual(
      (await store.listRefs('runs/r1/')).map((r) => r.name),
      ['runs/r1/checkpoints', 'runs/r1/checkpoints/step-1', 'runs/r1/latest'],
    );
    await assert.rejects(store.listRefs('runs/'), /r2/);
  });
});

storeContract({
  name: 'LocalFolderStore',
  fresh: () => handleFor(freshStore().root),
  scratch: () => root,
});
