import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { storeLocationFromEnv } from '../config/store-env.ts';
import { addressOf, digestOf } from './address.ts';
import { CorruptArtifactError, StoreCapabilityError } from './errors.ts';
import { openStore } from './open-store.ts';
import { S3Bucket } from './s3-bucket.ts';
import { S3ArtifactStore } from './s3-store.ts';
import { type HeaderProxy, startHeaderProxy } from './testing/header-proxy.ts';
import { type MotoServer, startMotoServer } from './testing/moto-server.ts';
import { inChild, type StoreHandle } from './testing/store-child.ts';
import { storeContract } from './testing/store-contract.ts';

// The test server takes any credentials; these never leave this machine.
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'moto-test-key', AWS_SECRET_ACCESS_KEY: 'moto-test-secret-1234' };
Object.assign(process.env, CREDENTIALS, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });

const BUCKET = 'anchorage-test';
const root = mkdtempSync(join(tmpdir(), 'anchorage-s3-'));
const OPEN_MODULES = {
  openStore: resolve(import.meta.dirname, 'open-store.ts'),
  storeEnv: resolve(import.meta.dirname, '../config/store-env.ts'),
};

let moto: MotoServer;
let raw: S3Client;
before(async () => {
  moto = await startMotoServer();
  raw = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true });
  await raw.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
after(async () => {
  raw?.destroy();
  await moto?.stop();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** The environment a worker process selects this store with (ANCHORAGE_STORE_URL and the AWS variables). */
const storeEnv = (prefix: string, cache: string): Record<string, string> => ({
  ANCHORAGE_STORE_URL: `s3://${BUCKET}/${prefix}`,
  AWS_ENDPOINT_URL: moto.endpoint,
  AWS_REGION: 'us-east-1',
  ANCHORAGE_STORE_CACHE: cache,
  ANCHORAGE_STORE_DIR: '',
  ...CREDENTIALS,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

/** Module code opening the store from the environment, as a worker does. */
const OPEN_FROM_ENV = `import { openStore } from ${JSON.stringify(OPEN_MODULES.openStore)};
  import { storeLocationFromEnv } from ${JSON.stringify(OPEN_MODULES.storeEnv)};
  const store = openStore(storeLocationFromEnv());`;

/** A store under a fresh prefix with its own cache; other processes open it with their own caches. */
function freshStore(
  options: { prefix?: string } = {},
): StoreHandle & { store: S3ArtifactStore; prefix: string } {
  const prefix = options.prefix ?? `runs-${n++}`;
  const cache = join(root, `cache-${n++}`);
  const store = openStore(storeLocationFromEnv({ env: storeEnv(prefix, cache) }));
  assert.ok(store instanceof S3ArtifactStore);
  return {
    store,
    prefix,
    openCode: OPEN_FROM_ENV,
    // Each child process gets a cache folder of its own (ANCHORAGE_STORE_CACHE is per process).
    env: storeEnv(prefix, join(root, `child-cache-${prefix}-${randomBytes(4).toString('hex')}`)),
  };
}

storeContract({ name: 'S3ArtifactStore on moto', fresh: () => freshStore(), scratch: () => root });

describe('S3ArtifactStore layout, verification and cache', () => {
  it('keeps objects under objects/<2 hex>/<62 hex> and refs under refs/<name>.ref, below the prefix', async () => {
    const { store, prefix } = freshStore({ prefix: 'team/a' });
    assert.equal(store.location, `s3://${BUCKET}/team/a at ${moto.endpoint}`);
    const { address } = await store.putJson({ layout: true });
    const hex = digestOf(address);
    const object = await raw.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}/objects/${hex.slice(0, 2)}/${hex.slice(2)}` }),
    );
    assert.equal(await object.Body!.transformToString(), '{"layout":true}');
    await store.setRef('runs/l/checkpoints/step-1', address, { mode: 'create-only' });
    const ref = await raw.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}/refs/runs/l/checkpoints/step-1.ref` }),
    );
    assert.equal(await ref.Body!.transformToString(), `${address}\n`);
    assert.ok(!JSON.stringify(store).includes(CREDENTIALS.AWS_SECRET_ACCESS_KEY), 'no secret in the store');
  });

  it('uploads objects with their SHA-256 as checksum, for the server to check the bytes against', async () => {
    // moto accepts any checksum (AWS S3 and MinIO refuse a mismatch), so the header is checked here.
    const seen: Array<{ method: string; url: string; checksum: string | undefined }> = [];
    const proxy = await startHeaderProxy({
      target: moto.endpoint,
      onRequest: (req) =>
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          checksum: req.headers['x-amz-checksum-sha256'] as string | undefined,
        }),
    });
    try {
      const store = new S3ArtifactStore({
        bucket: BUCKET,
        prefix: 'checksums',
        endpoint: proxy.endpoint,
        region: 'us-east-1',
        cacheDir: join(root, 'checksum-cache'),
      });
      const bytes = randomBytes(1000);
      const { address } = await store.putBytes(bytes);
      const src = join(root, 'checksum-file.bin');
      const file = randomBytes(300 * 1024);
      writeFileSync(src, file);
      const put = await store.putFile(src);
      const base64 = (a: string) => Buffer.from(digestOf(a as `sha256:${string}`), 'hex').toString('base64');
      const puts = seen.filter((r) => r.method === 'PUT');
      assert.deepEqual(
        puts.map((r) => r.checksum),
        [base64(address), base64(put.address)],
      );
      seen.length = 0;
      await store.putBytes(bytes);
      assert.deepEqual(
        seen.map((r) => r.method),
        ['HEAD'],
        'an object the bucket holds is not sent again',
      );
    } finally {
      await proxy.stop();
    }
  });

  it('lists refs page by page (ListObjectsV2 continuation)', async () => {
    const { prefix } = freshStore();
    const store = new S3ArtifactStore({
      bucket: BUCKET,
      prefix,
      endpoint: moto.endpoint,
      region: 'us-east-1',
      cacheDir: join(root, 'pages-cache'),
      listPageSize: 4,
    });
    const { address } = await store.putJson({ many: true });
    const names = Array.from({ length: 45 }, (_, i) => `runs/many/groups/g-${String(i).padStart(2, '0')}`);
    for (const name of names) await store.setRef(name, address, { mode: 'create-only' });
    await store.setRef('runs/other/pointer', address, { mode: 'create-only' });
    const listed = await store.listRefs('runs/many/');
    assert.deepEqual(
      listed.map((r) => r.name),
      names,
    );
    assert.ok(listed.every((r) => r.address === address));
    assert.equal((await store.listRefs()).length, 46);
  });

  it('a damaged object is detected on read and never cached; a damaged cache copy is fetched again', async () => {
    const writer = freshStore();
    const data = randomBytes(64 * 1024);
    const { address } = await writer.store.putBytes(data);
    assert.ok(Buffer.from(await writer.store.getBytes(address)).equals(data), 'read once: now in its cache');
    const hex = digestOf(address);
    const key = `${writer.prefix}/objects/${hex.slice(0, 2)}/${hex.slice(2)}`;
    // Damage the object in the bucket: same length, other bytes.
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: randomBytes(data.byteLength) }));

    const reader = freshStore({ prefix: writer.prefix });
    await assert.rejects(
      reader.store.getBytes(address),
      (err: unknown) =>
        err instanceof CorruptArtifactError &&
        err.message.includes(`stored object ${address} is damaged (65536 bytes that hash to sha256:`) &&
        err.message.includes('it is not loaded') &&
        err.location.file === `s3://${BUCKET}/${key} at ${moto.endpoint}`,
    );
    await assert.rejects(reader.store.getJson(address), CorruptArtifactError);
    const copy = join(root, 'damaged-copy.bin');
    await assert.rejects(reader.store.getFile(address, copy), CorruptArtifactError);
    assert.equal(existsSync(copy), false, 'no copy of the damaged object');
    assert.equal(existsSync(cachePath(reader.store, address)), false, 'nothing damaged enters the cache');

    // The writer's cache holds the verified copy it read before the damage.
    assert.ok(Buffer.from(await writer.store.getBytes(address)).equals(data));
    // Repair the bucket, damage the writer's cache copy: it is dropped and fetched again.
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data }));
    writeFileSync(cachePath(writer.store, address), 'damaged cache copy');
    assert.ok(Buffer.from(await writer.store.getBytes(address)).equals(data));
    assert.ok(Buffer.from(await reader.store.getBytes(address)).equals(data));
  });

  it('a ref holding something else than an address is reported', async () => {
    const { store, prefix } = freshStore();
    await raw.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/refs/runs/x/pointer.ref`, Body: 'garbage\n' }),
    );
    await assert.rejects(
      store.getRef('runs/x/pointer'),
      /ref runs\/x\/pointer holds 'garbage', not a content address/,
    );
  });

  it('a missing bucket is named', async () => {
    const store = new S3ArtifactStore({
      bucket: 'no-such-bucket',
      prefix: '',
      endpoint: moto.endpoint,
      region: 'us-east-1',
      cacheDir: join(root, 'nobucket-cache'),
    });
    await assert.rejects(
      store.getBytes(addressOf(Buffer.from('x'))),
      /S3 GetObject s3:\/\/no-such-bucket\/objects\/.* the bucket no-such-bucket does not exist/,
    );
  });
});

describe('S3ArtifactStore shared by two worker processes', () => {
  it('each with its own cache, they see each other’s objects and refs, and exactly one wins a commit race', async () => {
    const { store, prefix } = freshStore({ prefix: 'shared' });
    const cacheA = join(root, 'worker-a-cache');
    const cacheB = join(root, 'worker-b-cache');
    const worker = (cache: string, body: string, args?: unknown) =>
      inChild({ target: { store, openCode: OPEN_FROM_ENV }, env: storeEnv(prefix, cache), args, body }).done;

    // Worker A commits step 1 of a run: a checkpoint too large to send through Temporal.
    const a1 = (await worker(
      cacheA,
      `const { checkpointRef } = await import(${JSON.stringify(resolve(import.meta.dirname, 'run-refs.ts'))});
       const { randomBytes } = await import('node:crypto');
       const put = await store.putBytes(randomBytes(2 * 1024 * 1024));
       await store.setRef(checkpointRef({ trainRunId: 'shared-run', step: 1 }), put.address, { mode: 'create-only' });
       return { address: put.address, location: store.location, cache: store.cacheDir };`,
    )) as { address: string; location: string; cache: string };
    assert.equal(a1.location, `s3://${BUCKET}/shared at ${moto.endpoint}`);
    assert.equal(a1.cache, cacheA);

    // Worker B, on its own cache, finds A's checkpoint, reads it (verified) and commits step 2.
    const b1 = (await worker(
      cacheB,
      `const { checkpointRef, listCheckpoints } = await import(${JSON.stringify(resolve(import.meta.dirname, 'run-refs.ts'))});
       const seen = await listCheckpoints({ store, trainRunId: 'shared-run' });
       const bytes = await store.getBytes(seen[0].address);
       const put = await store.putJson({ resumedFrom: seen[0].address, size: bytes.byteLength });
       await store.setRef(checkpointRef({ trainRunId: 'shared-run', step: 2 }), put.address, { mode: 'create-only' });
       return { seen, address: put.address };`,
    )) as { seen: Array<{ step: number; address: string }>; address: string };
    assert.deepEqual(b1.seen, [{ step: 1, address: a1.address }]);
    assert.ok(existsSync(cachePathIn(cacheB, a1.address)), 'B fetched the checkpoint into its own cache');
    assert.equal(
      existsSync(cachePathIn(cacheA, a1.address)),
      false,
      'A only wrote it: its cache fills on reads',
    );

    // Worker A sees B's commit and reads B's object.
    const a2 = (await worker(
      cacheA,
      `const { listCheckpoints } = await import(${JSON.stringify(resolve(import.meta.dirname, 'run-refs.ts'))});
       const seen = await listCheckpoints({ store, trainRunId: 'shared-run' });
       return { seen, value: await store.getJson(seen[1].address) };`,
    )) as { seen: Array<{ step: number; address: string }>; value: unknown };
    assert.deepEqual(a2.seen, [
      { step: 1, address: a1.address },
      { step: 2, address: b1.address },
    ]);
    assert.deepEqual(a2.value, { resumedFrom: a1.address, size: 2 * 1024 * 1024 });
    assert.ok(existsSync(cachePathIn(cacheA, b1.address)));

    // Both commit step 3 at once, with different results: exactly one commits, the other is told.
    const race = `
      const put = await store.putJson({ step: 3, by: args });
      try { await store.setRef('runs/shared-run/checkpoints/step-3', put.address, { mode: 'create-only' }); return { won: true, address: put.address }; }
      catch (e) { if (e.name !== 'RefConflictError') throw e; return { won: false, address: put.address, holder: e.current }; }`;
    const results = (await Promise.all([worker(cacheA, race, 'a'), worker(cacheB, race, 'b')])) as Array<{
      won: boolean;
      address: string;
      holder?: string;
    }>;
    const winners = results.filter((r) => r.won);
    assert.equal(winners.length, 1, JSON.stringify(results));
    assert.equal(results.find((r) => !r.won)?.holder, winners[0]!.address);
    assert.equal(await store.getRef('runs/shared-run/checkpoints/step-3'), winners[0]!.address);
  });
});

describe('a server that ignores conditional writes', () => {
  let proxy: HeaderProxy;
  // Forwards every request to moto without its If-None-Match and If-Match headers, as an old
  // S3-compatible server (or a proxy in front of one) treats them.
  before(async () => {
    proxy = await startHeaderProxy({ target: moto.endpoint, strip: ['if-none-match', 'if-match'] });
  });
  after(() => proxy.stop());

  it('is refused loudly before any ref is written', async () => {
    const cacheDir = join(root, 'ignoring-cache');
    const store = new S3ArtifactStore({
      bucket: BUCKET,
      prefix: 'ignoring',
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      cacheDir,
    });
    const { address } = await store.putJson({ fine: 'objects need no conditions' });
    assert.deepEqual(await store.getJson(address), { fine: 'objects need no conditions' });
    const refused = (err: unknown) =>
      err instanceof StoreCapabilityError &&
      /the S3 server ignores If-None-Match: \* on PutObject \(a second create-only write of one key succeeded at s3:\/\/anchorage-test\/ignoring\/probes\/conditional-writes\//.test(
        err.message,
      ) &&
      err.message.includes('use an S3-compatible server that honours conditional writes');
    await assert.rejects(
      store.setRef('runs/i/checkpoints/step-1', address, { mode: 'create-only' }),
      refused,
    );
    assert.equal(await store.getRef('runs/i/checkpoints/step-1'), undefined, 'no ref was written');
    assert.deepEqual(await store.listRefs(), []);
    await assert.rejects(
      store.checkConditionalWrites(),
      refused,
      'asked again (a worker starting), it refuses again',
    );
    const bucket = new S3Bucket({ bucket: BUCKET, endpoint: moto.endpoint, region: 'us-east-1' });
    const left: string[] = [];
    for await (const key of bucket.list('ignoring/probes/')) left.push(key);
    assert.deepEqual(left, [], 'the probe removes its key');
  });
});

describe('a server that refuses create-only writes of new keys', () => {
  it('is refused by the probe before any ref is written (MinIO RELEASE.2025-09-06T17-38-46Z)', async () => {
    // That release answers a PutObject with If-None-Match: * of a missing key 404 NoSuchKey (the next
    // one writes it), so no create-only ref could ever be created.
    const proxy = await startHeaderProxy({
      target: moto.endpoint,
      answer: (req) =>
        req.method === 'PUT' && req.headers['if-none-match'] === '*'
          ? {
              status: 404,
              body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>',
            }
          : undefined,
    });
    try {
      const store = new S3ArtifactStore({
        bucket: BUCKET,
        prefix: 'refusing',
        endpoint: proxy.endpoint,
        region: 'us-east-1',
        cacheDir: join(root, 'refusing-cache'),
      });
      const { address } = await store.putJson({ fine: 'objects need no conditions' });
      await assert.rejects(
        store.setRef('runs/r/checkpoints/step-1', address, { mode: 'create-only' }),
        (err: unknown) =>
          err instanceof StoreCapabilityError &&
          /ignores If-None-Match: \* on PutObject \(a write of a key that did not exist was refused/.test(
            err.message,
          ),
      );
      assert.equal(await store.getRef('runs/r/checkpoints/step-1'), undefined, 'no ref was written');
    } finally {
      await proxy.stop();
    }
  });
});

function cachePathIn(cacheDir: string, address: string): string {
  const hex = address.slice('sha256:'.length);
  return join(cacheDir, 'objects', hex.slice(0, 2), hex.slice(2));
}

function cachePath(store: S3ArtifactStore, address: string): string {
  return cachePathIn(store.cacheDir, address);
}
