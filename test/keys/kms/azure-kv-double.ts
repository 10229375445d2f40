/**
 * Azure Key Vault as the real `@azure/keyvault-keys` sees it: HTTPS only (a self-signed loopback
 * certificate, test/fixtures/tls, trusted through the client's `tlsOptions.ca`), the
 * challenge-based bearer auth (an unauthenticated request gets 401 + WWW-Authenticate), then
 * `GET /keys/{name}/{version}` and `POST /keys/{name}/{version}/sign` with `ES256K`.
 */
import type { JsonWebKey } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import { type DoubleRequest, type DoubleResponse, HttpDouble, TEST_CA_PEM } from './http-double.js';
import { rawSignature, type TestKey } from './test-key.js';

export const AZURE_TEST_KEY_NAME = 'settlement-claims';
export const AZURE_TEST_KEY_VERSION = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
/** The token the test credential hands out; it must never appear in a log. */
export const AZURE_TEST_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.kmsTestDoubleAzureTokenNeverLogged.sig';

/**
 * The SDK's TokenCredential interface satisfied by a static token: no Entra ID is reachable from
 * the tests. (Production uses DefaultAzureCredential.)
 */
export const azureTestCredential: TokenCredential = {
  getToken: async () => ({ token: AZURE_TEST_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export class AzureKeyVaultDouble extends HttpDouble {
  /** What GET key reports: override to play a wrong key. */
  jwk: JsonWebKey & { kty?: string; crv?: string };
  keyOps = ['sign', 'verify'];
  signer: TestKey;

  constructor(readonly key: TestKey) {
    super();
    this.jwk = { ...key.jwk, crv: 'P-256K' };
    this.signer = key;
  }

  get vaultUrl(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  protected throttled(): DoubleResponse {
    return {
      status: 429,
      headers: { 'retry-after': '0' },
      body: {
        error: {
          code: 'Throttled',
          message: 'Request was not processed because too many requests were received',
        },
      },
    };
  }

  protected async handle(request: DoubleRequest): Promise<DoubleResponse> {
    if (request.headers.authorization === undefined) {
      return {
        status: 401,
        headers: {
          'www-authenticate':
            'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"',
        },
        body: {
          error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
        },
      };
    }
    if (request.headers.authorization !== `Bearer ${AZURE_TEST_TOKEN}`)
      return this.violation('wrong bearer token');
    const url = new URL(request.path, this.vaultUrl);
    if (url.searchParams.get('api-version') === null) return this.violation('no api-version');
    const keyPath = `/keys/${AZURE_TEST_KEY_NAME}/${AZURE_TEST_KEY_VERSION}`;
    const kid = `${this.vaultUrl}${keyPath}`;
    if (request.method === 'GET' && url.pathname === keyPath) {
      const { kty, crv, x, y } = this.jwk;
      return {
        status: 200,
        body: {
          key: { kid, kty, crv, x, y, key_ops: this.keyOps },
          attributes: {
            enabled: true,
            created: 1_700_000_000,
            updated: 1_700_000_000,
            recoveryLevel: 'Recoverable',
          },
        },
      };
    }
    if (request.method === 'POST' && url.pathname === `${keyPath}/sign`) {
      const body = JSON.parse(request.body) as { alg?: string; value?: string };
      if (body.alg !== 'ES256K') return this.violation(`alg ${body.alg}`);
      const digest = Buffer.from(body.value ?? '', 'base64url');
      if (digest.length !== 32) return this.violation(`digest of ${digest.length} bytes`);
      const signature = rawSignature(await this.signer.sign(digest));
      return { status: 200, body: { kid, value: signature.toString('base64url') } };
    }
    return this.violation(`${request.method} ${url.pathname}`);
  }

  security() {
    return {
      keyBackend: 'azure-kv' as const,
      azureKeyVault: {
        vaultUrl: this.vaultUrl,
        keyName: AZURE_TEST_KEY_NAME,
        keyVersion: AZURE_TEST_KEY_VERSION,
      },
    };
  }

  /**
   * The hooks a test passes: the static credential, our CA, and no check that the challenge's
   * resource (vault.azure.net) is a parent of the vault's host, which 127.0.0.1 cannot be.
   */
  hooks() {
    return {
      azure: {
        credential: azureTestCredential,
        clientOptions: { tlsOptions: { ca: TEST_CA_PEM }, disableChallengeResourceVerification: true },
      },
    };
  }
}
