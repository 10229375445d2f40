/**
 * Faults of issue 14 on every KMS backend, through the real SDKs against the local doubles:
 * throttling retried with backoff, a wrong key refused at open, a signature by another key refused
 * (never returned), an unreachable or slow KMS reported as a transient ERR_KMS, the signing
 * concurrency bounded, and no credential in any log line.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, afterEach, describe, it } from 'node:test';
import pino from 'pino';
import { toHex } from 'viem';
import { type KmsError, type KmsSigner, openKmsSigner, openSigner } from '../../src/keys/index.js';
import { ConnectorError } from '../../src/utils/errors.js';
import { KMS_BACKEND_NAMES, type KmsFixture, startKmsFixture } from './kms/backends.js';
import { TestKey } from './kms/test-key.js';

const KEY = '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a';
const OTHER_KEY = '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba';
/** Fast retries: the tests wait on outcomes, never on fixed sleeps. */
const FAST = { retryBaseMs: 1, retryMaxMs: 5, maxRetries: 3, timeoutMs: 2_000 };
const DIGEST = toHex(new Uint8Array(32).fill(7));

function isKmsError(failure: string, transient: boolean) {
  return (error: unknown) => {
    assert.ok(error instanceof ConnectorError, String(error));
    assert.equal(error.code, 'ERR_KMS', error.message);
    assert.equal((error as KmsError).failure, failure, error.message);
    assert.equal((error as KmsError).transient, transient);
    return true;
  };
}

/** A pino logger whose lines land in `lines`. */
function captureLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

for (const backend of KMS_BACKEND_NAMES) {
  describe(`${backend} faults`, () => {
    const open: KmsSigner[] = [];
    let fixture: KmsFixture | undefined;
    const start = async () => {
      fixture = await startKmsFixture(backend, new TestKey(KEY));
      return fixture;
    };
    const signerFor = async (f: KmsFixture, limits: object = FAST) => {
      const signer = await openKmsSigner(f.security(limits), f.hooks());
      open.push(signer);
      return signer;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      if (fixture !== undefined) {
        await fixture.double.stop();
        assert.deepEqual(fixture.double.violations, []);
      }
      fixture = undefined;
    });
    after(() => assert.equal(fixture, undefined));

    it('throttling is retried with backoff and the signature still arrives', async () => {
      const f = await start();
      const retries: string[] = [];
      const signer = await openKmsSigner(f.security(FAST), {
        ...f.hooks(),
        onRetry: (error) => retries.push(error.failure),
      });
      open.push(signer);
      // Warm: Azure's client answers its first 401 challenge once, which would count as a request.
      await signer.signDigest(DIGEST);
      const before = f.double.requests.length;
      f.double.faults.throttle = 2;
      const signature = await signer.signDigest(DIGEST);
      assert.equal(signature.length, 132);
      assert.deepEqual(retries, ['throttled', 'throttled']);
      assert.equal(f.double.requests.length - before, 3, 'the SDK must not retry on its own');
    });

    it('throttling beyond maxRetries is a transient ERR_KMS', async () => {
      const f = await start();
      const signer = await signerFor(f);
      f.double.faults.throttle = 10;
      await assert.rejects(signer.signDigest(DIGEST), isKmsError('throttled', true));
    });

    it('a key on the wrong curve is refused at open with a clear ERR_KMS_KEY', async () => {
      const f = await start();
      f.wrongCurve();
      await assert.rejects(openKmsSigner(f.security(FAST), f.hooks()), (error: unknown) => {
        assert.ok(error instanceof ConnectorError);
        assert.equal(error.code, 'ERR_KMS_KEY');
        assert.match(error.message, /P256|P-256|prime256v1/);
        assert.match(error.message, /secp256k1|SECP256K1|docs\/keys\.md/);
        return true;
      });
    });

    it('a signature by another key is refused, never returned', async () => {
      const f = await start();
      const signer = await signerFor(f);
      f.signWith(new TestKey(OTHER_KEY));
      await assert.rejects(signer.signDigest(DIGEST), (error: unknown) => {
        assert.ok(error instanceof ConnectorError);
        assert.equal(error.code, 'ERR_KMS_KEY');
        assert.match(error.message, /does not recover/);
        return true;
      });
    });

    it('an unreachable KMS is a transient ERR_KMS after the retries', async () => {
      const f = await start();
      const signer = await signerFor(f);
      await f.double.stop();
      await assert.rejects(signer.signDigest(DIGEST), isKmsError('unavailable', true));
    });

    it('a 5xx is retried; a slow KMS times out as a transient ERR_KMS', async () => {
      const f = await start();
      const signer = await signerFor(f, { ...FAST, timeoutMs: 200, maxRetries: 1 });
      f.double.faults.fail = 1;
      await signer.signDigest(DIGEST);
      f.double.faults.delayMs = 1_000;
      await assert.rejects(signer.signDigest(DIGEST), isKmsError('timeout', true));
    });

    it('signing concurrency is bounded, and the queue behind it too', async () => {
      const f = await start();
      const signer = await signerFor(f, { ...FAST, maxConcurrentSigns: 2, maxQueuedSigns: 4 });
      f.double.faults.delayMs = 20;
      f.double.maxInFlight = 0;
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => signer.signDigest(toHex(new Uint8Array(32).fill(i + 1)))),
      );
      assert.ok(f.double.maxInFlight <= 2, `in flight ${f.double.maxInFlight}`);
      const refused = results.filter((r) => r.status === 'rejected');
      assert.equal(refused.length, 2, '2 in flight + 4 queued of 8: 2 refused at once');
      for (const r of refused) isKmsError('throttled', true)((r as PromiseRejectedResult).reason);
    });

    it('logs of retries and failures carry no credential', async () => {
      const f = await start();
      const { logger, lines } = captureLogger();
      const signer = (await openSigner(
        { security: f.security(FAST) },
        { logger, kms: f.hooks() },
      )) as KmsSigner;
      open.push(signer);
      f.double.faults.throttle = 1;
      await signer.signDigest(DIGEST);
      f.double.faults.throttle = 10;
      await signer.signDigest(DIGEST).catch((err: unknown) => logger.error({ err }, 'claim signing failed'));
      await f.double.stop();
      await signer.signDigest(DIGEST).catch((err: unknown) => logger.error({ err }, 'claim signing failed'));
      const log = lines.join('');
      assert.match(log, /retrying/);
      assert.match(log, /claim signing failed/);
      for (const secret of [...f.secrets, KEY.slice(2)]) assert.ok(!log.includes(secret), `${secret} in log`);
      assert.ok(!/AKIA[A-Z0-9]{16}/.test(log), 'an AWS access key id in the log');
      assert.ok(!/Bearer [A-Za-z0-9]/.test(log), 'a bearer token in the log');
    });
  });
}
