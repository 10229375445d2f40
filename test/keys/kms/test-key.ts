/**
 * The secp256k1 key a KMS test double holds. A test double is allowed here only because no cloud
 * is reachable from the tests: it stands in for the HSM, the SDK in front of it is the real one.
 * Signatures are real (viem, RFC 6979), and half of them are returned high-s, as AWS and Google
 * KMS do, so the signer's normalisation is exercised.
 */
import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { bytesToHex, type Hex } from 'viem';
import { privateKeyToAccount, sign } from 'viem/accounts';
import { SECP256K1_N } from '../../../src/keys/index.js';

export interface RawSignature {
  r: bigint;
  s: bigint;
}

export class TestKey {
  readonly address: `0x${string}`;
  readonly publicKey: KeyObject;
  readonly #privateKey: Hex;

  constructor(privateKey: Hex) {
    this.#privateKey = privateKey;
    const account = privateKeyToAccount(privateKey);
    this.address = account.address;
    const point = Buffer.from(account.publicKey.slice(2), 'hex');
    this.publicKey = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'secp256k1',
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    });
  }

  get spkiDer(): Buffer {
    return this.publicKey.export({ type: 'spki', format: 'der' });
  }

  get pem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  get jwk(): JsonWebKey {
    return this.publicKey.export({ format: 'jwk' });
  }

  async sign(digest: Uint8Array): Promise<RawSignature> {
    const { r, s } = await sign({ hash: bytesToHex(digest), privateKey: this.#privateKey });
    const low = BigInt(s);
    // Half high-s, chosen by the digest so runs are reproducible.
    return { r: BigInt(r), s: (digest[0]! & 1) === 1 ? SECP256K1_N - low : low };
  }
}

/** A P-256 public key: the wrong curve a misconfigured key would have. */
export function p256PublicKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
}

function integer(n: bigint): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

/** DER ECDSA-Sig-Value, as AWS and Google return it. */
export function derSignature({ r, s }: RawSignature): Buffer {
  const body = Buffer.concat(
    [r, s].map((n) => {
      const bytes = integer(n);
      return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
    }),
  );
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** r ‖ s, 32 bytes each, as Azure returns it. */
export function rawSignature({ r, s }: RawSignature): Buffer {
  return Buffer.from(r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'), 'hex');
}
