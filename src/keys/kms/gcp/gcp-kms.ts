/**
 * Google Cloud KMS (`@google-cloud/kms`, loaded on first use): an `EC_SIGN_SECP256K1_SHA256` key
 * version; `getPublicKey` once at open, then `asymmetricSign` with the digest. Both directions
 * carry CRC32C (crc32c.ts): the request's `digestCrc32c` must come back `verifiedDigestCrc32c`,
 * the PEM and the signature must match their checksums, and every response must name our key
 * version, as Google's integrity guide asks. Credentials: Application Default Credentials.
 *
 * Transport: the client's REST mode (`fallback: true`, HTTP/1.1 JSON): the one the tests run
 * against the real SDK, and the same kind of connection as the other two clouds.
 */
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import type { Address } from 'viem';
import { ConnectorError } from '../../../utils/errors.js';
import { decodeDerSignature } from '../der-signature.js';
import { classifyHttp, type KmsFailure } from '../kms-error.js';
import type { KmsClient } from '../kms-signer.js';
import { loadSdk } from '../load-sdk.js';
import { addressOfSpki } from '../public-key.js';
import { crc32c } from './crc32c.js';

export const GCP_KMS_PACKAGE = '@google-cloud/kms';
export const GCP_ALGORITHM = 'EC_SIGN_SECP256K1_SHA256';

type ClientOptions = NonNullable<ConstructorParameters<typeof KeyManagementServiceClient>[0]>;

export interface GcpKmsOptions {
  /** The key version's resource name. */
  readonly keyName: string;
  /** A regional or private endpoint; default `cloudkms.googleapis.com`. */
  readonly apiEndpoint?: string | undefined;
  /** Only for tests and embedders (port, protocol, authClient): default ADC over HTTPS. */
  readonly clientOptions?: ClientOptions | undefined;
  /** Per-attempt deadline handed to the SDK as well (KmsCaller enforces it regardless). */
  readonly timeoutMs: number;
}

/** gRPC status codes (google.rpc.Code) the REST transport maps HTTP answers onto. */
const RESOURCE_EXHAUSTED = 8;
const TRANSIENT_CODES = new Set([
  4 /* DEADLINE_EXCEEDED */, 10 /* ABORTED */, 13 /* INTERNAL */, 14 /* UNAVAILABLE */,
]);

export function classifyGcpError(error: unknown): KmsFailure {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === RESOURCE_EXHAUSTED) return 'throttled';
  if (typeof code === 'number' && TRANSIENT_CODES.has(code)) return 'unavailable';
  return classifyHttp(error) ?? 'rejected';
}

function integrity(what: string, message: string): never {
  // A corrupted answer is worth asking again: it is a transport fault, not the key.
  throw Object.assign(new Error(`${what}: ${message}`), { code: 13 });
}

function checksum(value: unknown): number | undefined {
  const v = (value as { value?: unknown } | null | undefined)?.value;
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return Number(v);
  return typeof v === 'number' ? v : undefined;
}

export async function gcpKmsClient(options: GcpKmsOptions): Promise<KmsClient> {
  const sdk = await loadSdk(GCP_KMS_PACKAGE, () => import('@google-cloud/kms'), 'gcp-kms');
  const { keyName, timeoutMs } = options;
  const client = new sdk.KeyManagementServiceClient({
    fallback: true,
    ...(options.apiEndpoint === undefined ? {} : { apiEndpoint: options.apiEndpoint }),
    ...options.clientOptions,
  });
  // The SDK's own retries are off: KmsCaller retries, so one policy bounds every call.
  const callOptions = { timeout: timeoutMs, maxRetries: 0 };
  const what = `Google Cloud KMS key ${keyName}`;
  return {
    backend: 'gcp-kms',
    keyRef: keyName,
    classify: classifyGcpError,
    async address(): Promise<Address> {
      const [key] = await client.getPublicKey({ name: keyName }, callOptions);
      if (key.name !== keyName) integrity(what, 'the public key returned is for another key version');
      const pem = key.pem ?? '';
      if (checksum(key.pemCrc32c) !== crc32c(Buffer.from(pem, 'utf8'))) {
        integrity(what, 'public key CRC32C mismatch');
      }
      if (key.algorithm !== GCP_ALGORITHM) {
        throw new ConnectorError(
          'ERR_KMS_KEY',
          `${what} has algorithm ${String(key.algorithm)}; settlement needs ${GCP_ALGORITHM} (docs/keys.md)`,
        );
      }
      return addressOfSpki(pem, what);
    },
    async sign(digest) {
      const [out] = await client.asymmetricSign(
        { name: keyName, digest: { sha256: digest }, digestCrc32c: { value: crc32c(digest) } },
        callOptions,
      );
      if (out.name !== keyName) integrity(what, 'the signature returned is from another key version');
      if (out.verifiedDigestCrc32c !== true) integrity(what, 'the service did not verify the digest CRC32C');
      const signature = out.signature;
      if (!(signature instanceof Uint8Array)) integrity(what, 'no signature returned');
      if (checksum(out.signatureCrc32c) !== crc32c(signature)) integrity(what, 'signature CRC32C mismatch');
      return decodeDerSignature(signature);
    },
    async close() {
      await client.close();
    },
  };
}
