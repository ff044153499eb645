import { randomBytes } from 'node:crypto';
import { StoreCapabilityError } from './errors.ts';
import type { S3Bucket } from './s3-bucket.ts';

/** An ETag no object has (its quotes included), for the If-Match half of the probe. */
const NO_SUCH_ETAG = `"${'0'.repeat(32)}"`;

/**
 * Checks that the server honours conditional PutObject, on a fresh key under `prefix`: a first
 * `If-None-Match: *` write succeeds, a second one is refused (412), and `If-Match` with an ETag the
 * object does not have is refused. A server that ignores either header (an old MinIO or Ceph, a
 * proxy that strips them) would let create-only refs be overwritten and compare-and-set lose
 * updates without a word; this makes it a `StoreCapabilityError` instead. The probe key is removed
 * afterwards (best effort: a store without delete permission keeps a few bytes under `probes/`).
 */
export async function probeConditionalWrites(options: { bucket: S3Bucket; prefix: string }): Promise<void> {
  const { bucket } = options;
  const key = `${options.prefix}probes/conditional-writes/${process.pid}-${randomBytes(8).toString('hex')}`;
  const body = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    return { key, body: bytes, size: bytes.byteLength };
  };
  const refuse = (header: string, what: string) =>
    new StoreCapabilityError(
      `the S3 server ignores ${header} on PutObject (${what} at ${bucket.describe(key)}), so create-only ` +
        'refs could be overwritten and compare-and-set updates lost without an error; use an S3-compatible ' +
        'server that honours conditional writes (If-None-Match and If-Match), such as AWS S3 or a current MinIO',
    );
  try {
    const first = await bucket.put({ ...body('first'), condition: { ifNoneMatch: '*' } });
    if (first === 'precondition-failed') {
      throw refuse('If-None-Match: *', 'a write of a key that did not exist was refused');
    }
    const second = await bucket.put({ ...body('second'), condition: { ifNoneMatch: '*' } });
    if (second !== 'precondition-failed') {
      throw refuse('If-None-Match: *', 'a second create-only write of one key succeeded');
    }
    const third = await bucket.put({ ...body('third'), condition: { ifMatch: NO_SUCH_ETAG } });
    if (third !== 'precondition-failed') {
      throw refuse('If-Match', 'a write with an ETag the object does not have succeeded');
    }
  } finally {
    await bucket.delete(key).catch(() => undefined);
  }
}
