/**
 * What a KMS failure becomes: one `KmsError` that names the backend, the operation and the key,
 * says whether trying again may help, and carries none of the SDK's error object. SDK errors hold
 * requests (with their Authorization headers), responses and config; keeping one as `cause` would
 * hand it to every logger. So the detail is rebuilt from a few fields and scrubbed.
 */
import { ConnectorError } from '../../utils/errors.js';
import { redactKeys } from '../redact.js';

export type KmsBackend = 'aws-kms' | 'gcp-kms' | 'azure-kv';

/** `rejected` is final (denied, not found, bad request); the others are worth retrying. */
export type KmsFailure = 'throttled' | 'unavailable' | 'timeout' | 'rejected';

const FAILURE_TEXT: Readonly<Record<KmsFailure, string>> = {
  throttled: 'was throttled',
  unavailable: 'could not reach the service or it failed',
  timeout: 'timed out',
  rejected: 'was refused',
};

/** Longest detail kept from an SDK message: enough to diagnose, too short to carry a document. */
const DETAIL_MAX_CHARS = 200;
const BEARER = /\b(Bearer|Basic|SharedKey)\s+[A-Za-z0-9._~+/=-]+/gi;
const AWS_ACCESS_KEY_ID = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g;
/**
 * Tokens, signatures and secrets are long runs of base64 or hex; ARNs, resource paths and key ids
 * are short segments between `/` and `:` (a UUID is 36 characters), so they survive.
 */
const LONG_OPAQUE = /[A-Za-z0-9+_=-]{37,}/g;
const CREDENTIAL_FIELD =
  /\b(Credential|Signature|X-Amz-Security-Token|access_token|client_secret|sig)=[^\s&,;]+/gi;

/** SDK error text with anything credential-shaped removed, cut to a bounded length. */
export function scrubDetail(text: string): string {
  const scrubbed = redactKeys(text)
    .replace(BEARER, '$1 [redacted]')
    .replace(CREDENTIAL_FIELD, '$1=[redacted]')
    .replace(AWS_ACCESS_KEY_ID, '[redacted]')
    .replace(LONG_OPAQUE, '[redacted]');
  return scrubbed.length > DETAIL_MAX_CHARS ? `${scrubbed.slice(0, DETAIL_MAX_CHARS)}…` : scrubbed;
}

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

/** The HTTP status an SDK error carries, wherever that SDK keeps it. */
export function httpStatusOf(error: unknown): number | undefined {
  const metadata = field(error, '$metadata');
  const candidates = [field(error, 'statusCode'), field(metadata, 'httpStatusCode'), field(error, 'status')];
  return candidates.find((c): c is number => typeof c === 'number');
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'REQUEST_SEND_ERROR',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Whether the error (or its cause) is a connection failure rather than an answer. */
export function isNetworkError(error: unknown, depth = 0): boolean {
  if (depth > 4 || typeof error !== 'object' || error === null) return false;
  const code = field(error, 'code') ?? field(error, 'errno');
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const name = field(error, 'name');
  if (name === 'TimeoutError' || name === 'FetchError') return true;
  return isNetworkError(field(error, 'cause'), depth + 1);
}

/** The classification every backend shares: HTTP 429 throttles, 5xx and no answer are unavailable. */
export function classifyHttp(error: unknown): KmsFailure | undefined {
  const status = httpStatusOf(error);
  if (status === 429) return 'throttled';
  if (status !== undefined && status >= 500) return 'unavailable';
  if (status === undefined && isNetworkError(error)) return 'unavailable';
  return undefined;
}

function detailOf(error: unknown): string {
  const parts: string[] = [];
  const name = field(error, 'name');
  if (typeof name === 'string' && name !== 'Error') parts.push(name);
  const status = httpStatusOf(error);
  if (status !== undefined) parts.push(`HTTP ${status}`);
  const code = field(error, 'code');
  if (typeof code === 'string' || typeof code === 'number') parts.push(`code ${code}`);
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  if (message !== '') parts.push(message.split('\n')[0] ?? '');
  return scrubDetail(parts.join(': '));
}

export class KmsError extends ConnectorError {
  readonly backend: KmsBackend;
  readonly operation: string;
  readonly failure: KmsFailure;
  /** Worth trying again later (settlement does: the claim stays owed and is retried). */
  readonly transient: boolean;

  constructor(backend: KmsBackend, operation: string, keyRef: string, failure: KmsFailure, error: unknown) {
    const detail = detailOf(error);
    const text = `${backend} ${operation} on ${keyRef} ${FAILURE_TEXT[failure]}`;
    super('ERR_KMS', detail === '' ? text : `${text}: ${detail}`);
    this.backend = backend;
    this.operation = operation;
    this.failure = failure;
    this.transient = failure !== 'rejected';
  }
}
