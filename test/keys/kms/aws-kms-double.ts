/**
 * AWS KMS as the real `@aws-sdk/client-kms` sees it: the JSON 1.1 protocol (POST /, the
 * operation in `X-Amz-Target: TrentService.<Op>`), SigV4-signed. Implements GetPublicKey and
 * Sign for one ECC_SECG_P256K1 key and checks the key id, the operation, the credential, the
 * 32-byte digest, `MessageType: DIGEST` and `ECDSA_SHA_256`.
 */
import type { KeyObject } from 'node:crypto';
import { type DoubleRequest, type DoubleResponse, HttpDouble } from './http-double.js';
import { derSignature, type TestKey } from './test-key.js';

export const AWS_TEST_KEY_ID = '0b5a4e2c-1f6d-4c8e-9a7b-3d2e1f0a9b8c';
export const AWS_TEST_KEY_ARN = `arn:aws:kms:eu-west-1:111122223333:key/${AWS_TEST_KEY_ID}`;
/** Test credentials: the double checks the access key id; neither may appear in any log. */
export const AWS_TEST_CREDENTIALS = {
  accessKeyId: 'AKIAKMSTESTDOUBLE000',
  secretAccessKey: 'kmsTestDoubleSecretAccessKey/ShouldNeverBeLogged0000',
  sessionToken: 'kmsTestDoubleSessionTokenThatMustNeverAppearInLogs',
};

export class AwsKmsDouble extends HttpDouble {
  /** What GetPublicKey reports: override to play a wrong key. */
  keySpec = 'ECC_SECG_P256K1';
  publicKey: KeyObject;
  /** Signs with this key instead (a key swapped behind an alias). */
  signer: TestKey;

  constructor(readonly key: TestKey) {
    super();
    this.publicKey = key.publicKey;
    this.signer = key;
  }

  protected throttled(): DoubleResponse {
    return {
      status: 400,
      headers: { 'x-amzn-errortype': 'ThrottlingException' },
      body: { __type: 'ThrottlingException', message: 'Rate exceeded' },
    };
  }

  protected async handle(request: DoubleRequest): Promise<DoubleResponse> {
    if (request.method !== 'POST' || request.path !== '/')
      return this.violation(`${request.method} ${request.path}`);
    if (request.headers['content-type'] !== 'application/x-amz-json-1.1') {
      return this.violation(`content-type ${request.headers['content-type']}`);
    }
    const auth = String(request.headers.authorization ?? '');
    if (
      !auth.startsWith(`AWS4-HMAC-SHA256 Credential=${AWS_TEST_CREDENTIALS.accessKeyId}/`) ||
      !auth.includes('/kms/aws4_request')
    ) {
      return this.violation('not SigV4-signed for kms with the test credentials');
    }
    const body = JSON.parse(request.body) as Record<string, unknown>;
    if (body.KeyId !== AWS_TEST_KEY_ID && body.KeyId !== AWS_TEST_KEY_ARN)
      return this.violation(`KeyId ${String(body.KeyId)}`);
    switch (request.headers['x-amz-target']) {
      case 'TrentService.GetPublicKey':
        return {
          status: 200,
          body: {
            KeyId: AWS_TEST_KEY_ARN,
            KeySpec: this.keySpec,
            KeyUsage: 'SIGN_VERIFY',
            PublicKey: this.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
            SigningAlgorithms: ['ECDSA_SHA_256'],
          },
        };
      case 'TrentService.Sign': {
        if (body.MessageType !== 'DIGEST') return this.violation(`MessageType ${String(body.MessageType)}`);
        if (body.SigningAlgorithm !== 'ECDSA_SHA_256')
          return this.violation(`SigningAlgorithm ${String(body.SigningAlgorithm)}`);
        const digest = Buffer.from(String(body.Message), 'base64');
        if (digest.length !== 32) return this.violation(`digest of ${digest.length} bytes`);
        const signature = derSignature(await this.signer.sign(digest));
        return {
          status: 200,
          body: {
            KeyId: AWS_TEST_KEY_ARN,
            Signature: signature.toString('base64'),
            SigningAlgorithm: 'ECDSA_SHA_256',
          },
        };
      }
      default:
        return this.violation(`operation ${String(request.headers['x-amz-target'])}`);
    }
  }

  /** Options for the signer: this double as the endpoint, the test credentials. */
  security(keyId = AWS_TEST_KEY_ID) {
    return {
      keyBackend: 'aws-kms' as const,
      awsKms: { keyId, region: 'eu-west-1', endpoint: `http://127.0.0.1:${this.port}` },
    };
  }
}
