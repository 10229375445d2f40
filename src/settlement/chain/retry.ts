/**
 * Retries a chain call while it fails transiently (RPC down, timeout), with exponential backoff
 * and full jitter so that many nodes retrying after one RPC outage do not retry in step. Reverts,
 * wrong chains and anything that is not a ChainError fail at once: trying again cannot help.
 *
 * Wrap only calls that are safe to repeat (reads, waits for a receipt): a timed-out send may
 * still be mined, and sending it again would spend twice.
 */
import { ConnectorError } from '../../utils/errors.js';
import { ChainError } from './errors.js';

export interface RetryOptions {
  /** Total tries, the first included; at least 1. */
  attempts: number;
  /** The cap on the first delay; the cap doubles with each retry up to `maxDelayMs`. */
  minDelayMs: number;
  maxDelayMs: number;
  /** Aborting rejects at once with the signal's reason; the call in flight is not cancelled. */
  signal?: AbortSignal | undefined;
  /** In [0, 1); `Math.random` unless a seeded one is given (tests). */
  random?: (() => number) | undefined;
  /** Called before each wait, with the attempt that failed (1-based). */
  onRetry?: ((err: ChainError, attempt: number, delayMs: number) => void) | undefined;
}

export const DEFAULT_CHAIN_RETRY: RetryOptions = Object.freeze({
  attempts: 5,
  minDelayMs: 250,
  maxDelayMs: 10_000,
});

/** Runs `call` until it succeeds, fails with other than a transient ChainError, or runs out of attempts. */
export async function retryChain<T>(what: string, call: () => Promise<T>, options: RetryOptions): Promise<T> {
  checkOptions(what, options);
  const { signal } = options;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortReason(what, signal);
    try {
      return await untilAborted(what, call(), signal);
    } catch (err) {
      if (signal?.aborted) throw abortReason(what, signal);
      if (!(err instanceof ChainError) || !err.transient || attempt >= options.attempts) throw err;
      const delayMs = backoffDelayMs(attempt, options, random);
      options.onRetry?.(err, attempt, delayMs);
      await sleep(what, delayMs, signal);
    }
  }
}

/** Full jitter: uniform in [0, cap), and at least 1 ms. */
function backoffDelayMs(attempt: number, options: RetryOptions, random: () => number): number {
  return Math.max(1, random() * backoffCapMs(attempt, options));
}

/** The cap of the wait after failed attempt `attempt` (1-based): min(max, min * 2^(attempt-1)). */
export function backoffCapMs(
  attempt: number,
  delays: Pick<RetryOptions, 'minDelayMs' | 'maxDelayMs'>,
): number {
  // The exponent is clamped so that a zero minDelayMs never meets an infinite power (NaN).
  return Math.min(delays.maxDelayMs, delays.minDelayMs * 2 ** Math.min(attempt - 1, 52));
}

function checkOptions(what: string, options: RetryOptions): void {
  const { attempts, minDelayMs, maxDelayMs } = options;
  const invalid = (problem: string) => new ConnectorError('ERR_INVALID_ARGUMENT', `${what}: ${problem}`);
  if (!Number.isSafeInteger(attempts) || attempts < 1)
    throw invalid(`attempts must be an integer >= 1, got ${attempts}`);
  if (!Number.isFinite(minDelayMs) || minDelayMs < 0)
    throw invalid(`minDelayMs must be a finite number >= 0, got ${minDelayMs}`);
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < minDelayMs)
    throw invalid(`maxDelayMs must be a finite number >= minDelayMs, got ${maxDelayMs}`);
}

function abortReason(what: string, signal: AbortSignal): unknown {
  return signal.reason ?? new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `${what}: aborted`);
}

/** Settles as `promise` does, or rejects as soon as `signal` aborts. */
function untilAborted<T>(what: string, promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(what, signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Waits `ms`; an abort clears the timer and rejects with the signal's reason, so no timer
 * outlives the wait.
 */
export function sleep(what: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(what, signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(what, signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
