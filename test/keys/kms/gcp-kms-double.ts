/**
 * Google Cloud KMS as the real `@google-cloud/kms` sees it in REST mode (`fallback: true`):
 * `GET /v1/{name}/publicKey` and `POST /v1/{name}:asymmetricSign` in proto3 JSON. Checks the key
 * version name, the bearer token, the 32-byte digest and its CRC32C; answers with CRC32C of the
 * PEM and the signature (the integrity fields the signer checks in turn).
 */
import type { KeyObject } from 'node:crypto';
import { OAuth2Client } from 'google-auth-library';
import { crc32c } from '../../../src/keys/index.js';
import { type DoubleRequest, type DoubleResponse, HttpDouble } from './http-double.js';
import { derSignature, type TestKey } from './test-key.js';

export const GCP_TEST_KEY_NAME =
  'projects/test-project/locations/europe-west1/keyRings/settlement/cryptoKeys/claims/cryptoKeyVersions/1';
/** The access token the test's auth client presents; it must never appear in a log. */
export const GCP_TEST_TOKEN = 'ya29.kmsTestDoubleAccessTokenThatMustNeverBeLogged';

/** CryptoKeyVersionAlgorithm and ProtectionLevel numbers, for `enum-encoding=int` requests. */
const ALGORITHMS = { EC_SIGN_SECP256K1_SHA256: 31, EC_SIGN_P256_SHA256: 12 } as const;
const HSM = 2;

export class GcpKmsDouble extends HttpDouble {
  /** What getPublicKey reports: override to play a wrong key. */
  algorithm: keyof typeof ALGORITHMS = 'EC_SIGN_SECP256K1_SHA256';
  publicKey: KeyObject;
  signer: TestKey;
  /** Corrupt the next signature's checksum (a transport fault the signer must catch). */
  corruptChecksum = 0;

  constructor(readonly key: TestKey) {
    super();
    this.publicKey = key.publicKey;
    this.signer = key;
  }

  protected throttled(): DoubleResponse {
    return {
      status: 429,
      body: { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } },
    };
  }

  protected async handle(request: DoubleRequest): Promise<DoubleResponse> {
    if (request.headers.authorization !== `Bearer ${GCP_TEST_TOKEN}`)
      return this.violation('no bearer token');
    const url = new URL(request.path, 'http://x');
    const path = url.pathname;
    // The SDK asks for numeric enums; a name would do too, but answer as the service does.
    const numeric = url.searchParams.get('$alt')?.includes('enum-encoding=int') === true;
    const protectionLevel = numeric ? HSM : 'HSM';
    if (request.method === 'GET' && path === `/v1/${GCP_TEST_KEY_NAME}/publicKey`) {
      const pem = this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      return {
        status: 200,
        body: {
          name: GCP_TEST_KEY_NAME,
          pem,
          algorithm: numeric ? ALGORITHMS[this.algorithm] : this.algorithm,
          pemCrc32c: String(crc32c(Buffer.from(pem))),
          protectionLevel,
        },
      };
    }
    if (request.method === 'POST' && path === `/v1/${GCP_TEST_KEY_NAME}:asymmetricSign`) {
      const body = JSON.parse(request.body) as { digest?: { sha256?: string }; digestCrc32c?: string };
      const digest = Buffer.from(body.digest?.sha256 ?? '', 'base64');
      if (digest.length !== 32) return this.violation(`digest of ${digest.length} bytes`);
      if (body.digestCrc32c !== String(crc32c(digest)))
        return this.violation('digestCrc32c missing or wrong');
      const signature = derSignature(await this.signer.sign(digest));
      let checksum = crc32c(signature);
      if (this.corruptChecksum > 0) {
        this.corruptChecksum--;
        checksum = (checksum ^ 1) >>> 0;
      }
      return {
        status: 200,
        body: {
          name: GCP_TEST_KEY_NAME,
          signature: signature.toString('base64'),
          signatureCrc32c: String(checksum),
          verifiedDigestCrc32c: true,
          protectionLevel,
        },
      };
    }
    return this.violation(`${request.method} ${path}`);
  }

  security() {
    return { keyBackend: 'gcp-kms' as const, gcpKms: { keyName: GCP_TEST_KEY_NAME } };
  }
}

/**
 * The SDK's own auth library (google-auth-library, installed with @google-cloud/kms) holding a
 * static access token: no Google login is reachable from the tests.
 */
export function gcpTestAuth(): OAuth2Client {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: GCP_TEST_TOKEN, expiry_date: Date.now() + 3_600_000 });
  return auth;
}
