/**
 * The pieces under the KMS signers: strict DER signatures (cross-checked with node:crypto),
 * CRC32C against RFC 3720's vectors, public keys of the wrong type or curve refused, error text
 * scrubbed, backoff bounded.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  addressOfJwk,
  addressOfSpki,
  crc32c,
  DEFAULT_KMS_LIMITS,
  decodeDerSignature,
  decodeRawSignature,
  KmsError,
  SECP256K1_N,
} from '../../src/keys/index.js';
import { backoffMs } from '../../src/keys/kms/kms-limits.js';
import { loadSdk } from '../../src/keys/kms/load-sdk.js';
import { ConnectorError } from '../../src/utils/errors.js';
import { rsaPublicKey } from './kms/backends.js';
import { derSignature, p256PublicKey, rawSignature, TestKey } from './kms/test-key.js';

const isKeyError = (error: unknown) => error instanceof ConnectorError && error.code === 'ERR_KMS_KEY';

describe('DER signatures', () => {
  it('decodes what node:crypto signs, and the result verifies as IEEE P1363', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    for (let i = 0; i < 50; i++) {
      const data = Buffer.from(`message ${i}`);
      const der = sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
      const parts = decodeDerSignature(der);
      const p1363 = rawSignature(parts);
      assert.ok(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, p1363));
      assert.deepEqual(decodeRawSignature(p1363), parts);
      assert.deepEqual(derSignature(parts), der, 'our test encoder agrees with OpenSSL');
    }
  });

  it('refuses non-canonical and out-of-range encodings', () => {
    const good = derSignature({ r: 0x80n, s: 1n }); // r needs its leading zero
    assert.deepEqual(decodeDerSignature(good), { r: 0x80n, s: 1n });
    const bad: [string, Buffer][] = [
      ['trailing byte', Buffer.concat([good, Buffer.from([0])])],
      ['wrong tag', Buffer.from([0x31, ...good.subarray(1)])],
      ['long-form length', Buffer.from([0x30, 0x81, good.length - 2, ...good.subarray(2)])],
      ['negative r', Buffer.from([0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01])],
      ['redundant zero', Buffer.from([0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01])],
      ['zero r', Buffer.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01])],
      ['r = n', derSignature({ r: SECP256K1_N, s: 1n })],
      ['truncated', good.subarray(0, good.length - 1)],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [name, der] of bad) assert.throws(() => decodeDerSignature(der), isKeyError, name);
    assert.throws(() => decodeRawSignature(Buffer.alloc(63, 1)), isKeyError);
    assert.throws(() => decodeRawSignature(Buffer.alloc(64, 0)), isKeyError);
  });
});

describe('CRC32C', () => {
  it('matches RFC 3720 §B.4 and the check value', () => {
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(ascending), 0x46dd794e);
    assert.equal(crc32c(ascending.reverse()), 0x113fdb5c);
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });
});

describe('public keys', () => {
  const key = new TestKey('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');

  it('SPKI (DER and PEM) and JWK (P-256K) give the address', () => {
    assert.equal(addressOfSpki(key.spkiDer, 'k'), key.address);
    assert.equal(addressOfSpki(key.pem, 'k'), key.address);
    const jwk = key.jwk;
    assert.equal(addressOfJwk({ kty: 'EC', crv: 'P-256K', x: jwk.x, y: jwk.y }, 'k'), key.address);
  });

  it('refuses other curves and key types, naming what was found', () => {
    const p256 = p256PublicKey();
    assert.throws(() => addressOfSpki(p256.export({ type: 'spki', format: 'der' }), 'k'), /prime256v1/);
    assert.throws(
      () => addressOfSpki(rsaPublicKey().export({ type: 'spki', format: 'pem' }).toString(), 'k'),
      /rsa/,
    );
    assert.throws(() => addressOfJwk({ ...p256.export({ format: 'jwk' }) }, 'k'), /P-256/);
    assert.throws(() => addressOfJwk({ kty: 'RSA' }, 'k'), /RSA/);
    assert.throws(() => addressOfSpki(Buffer.from('not a key'), 'k'), isKeyError);
  });
});

describe('KMS errors and limits', () => {
  it('keep the key reference and drop credential-shaped text', () => {
    const sdkError = Object.assign(
      new Error(
        'denied for Credential=AKIAKMSTESTDOUBLE000/20260101/eu-west-1/kms/aws4_request, Bearer ya29.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG token=0123456789abcdef0123456789abcdef0123456789',
      ),
      { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } },
    );
    const arn = 'arn:aws:kms:eu-west-1:111122223333:key/0b5a4e2c-1f6d-4c8e-9a7b-3d2e1f0a9b8c';
    const error = new KmsError('aws-kms', 'Sign', arn, 'rejected', sdkError);
    assert.match(error.message, new RegExp(arn.replace(/[/.]/g, '\\$&')));
    assert.match(error.message, /AccessDeniedException: HTTP 400/);
    for (const secret of [
      'AKIAKMSTESTDOUBLE000',
      'abcdefghijklmnopqrstuvwxyz',
      '0123456789abcdef0123456789abcdef',
    ]) {
      assert.ok(!error.message.includes(secret), error.message);
    }
    assert.equal(error.cause, undefined, 'the SDK error is never kept');
    assert.equal(error.transient, false);
  });

  it('backoff is full jitter under the cap', () => {
    const limits = { ...DEFAULT_KMS_LIMITS, retryBaseMs: 100, retryMaxMs: 1_000 };
    assert.equal(
      backoffMs(limits, 0, () => 0.999),
      99,
    );
    assert.equal(
      backoffMs(limits, 3, () => 0.5),
      400,
    );
    assert.equal(
      backoffMs(limits, 20, () => 0.999),
      999,
    );
  });
});

describe('optional SDKs', () => {
  it('a missing SDK is a clear error naming the package', async () => {
    const missing = '@toon-protocol/no-such-kms-sdk';
    await assert.rejects(
      loadSdk('@aws-sdk/client-kms', () => import(missing), 'aws-kms'),
      (error: unknown) => {
        assert.ok(error instanceof ConnectorError);
        assert.equal(error.code, 'ERR_SETTLEMENT_UNAVAILABLE');
        assert.match(error.message, /KEY_BACKEND=aws-kms needs the package @aws-sdk\/client-kms/);
        return true;
      },
    );
  });
});
