/**
 * Runs one KMS operation within its limits (kms-limits.ts): each attempt under a timeout that
 * aborts the SDK's request, retries with backoff when the service throttled, failed or could not
 * be reached, and every other failure reported at once as a scrubbed KmsError. Our own errors
 * (ConnectorError: a wrong key, a bad signature) pass through untouched and are never retried.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectorError } from '../../utils/errors.js';
import { type KmsBackend, KmsError, type KmsFailure } from './kms-error.js';
import { backoffMs, type KmsLimits } from './kms-limits.js';

class AttemptTimeout extends Error {}

export interface KmsCallerOptions {
  readonly backend: KmsBackend;
  /** How errors name the key (an ARN, a resource name, a URL without query): never a secret. */
  readonly keyRef: string;
  readonly limits: KmsLimits;
  /** How this SDK's errors map onto failures. */
  readonly classify: (error: unknown) => KmsFailure;
  /** Told before each retry; the node logs it (no credentials in `error`, it is a KmsError). */
  readonly onRetry?: ((error: KmsError, attempt: number, waitMs: number) => void) | undefined;
}

async function attempt<T>(run: (signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new AttemptTimeout());
    }, timeoutMs);
  });
  try {
    return await Promise.race([run(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class KmsCaller {
  readonly #o: KmsCallerOptions;

  constructor(options: KmsCallerOptions) {
    this.#o = options;
  }

  get keyRef(): string {
    return this.#o.keyRef;
  }

  async call<T>(operation: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { backend, keyRef, limits, classify, onRetry } = this.#o;
    for (let tries = 0; ; tries++) {
      try {
        return await attempt(run, limits.timeoutMs);
      } catch (error) {
        if (error instanceof ConnectorError) throw error;
        const failure = error instanceof AttemptTimeout ? 'timeout' : classify(error);
        const reported = new KmsError(
          backend,
          operation,
          keyRef,
          failure,
          failure === 'timeout' ? `no answer within ${limits.timeoutMs} ms` : error,
        );
        if (failure === 'rejected' || tries >= limits.maxRetries) throw reported;
        const waitMs = backoffMs(limits, tries);
        onRetry?.(reported, tries + 1, waitMs);
        await sleep(waitMs);
      }
    }
  }
}
