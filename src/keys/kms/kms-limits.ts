/**
 * The bounds on every KMS call (STYLE 6): a timeout per attempt, a number of retries with
 * exponential backoff and full jitter for throttling and outages, and a bounded number of signs
 * in flight with a bounded queue behind them. Config: `security.kms*` (docs/config.md).
 */
export interface KmsLimits {
  /** Per attempt; the SDK's own retries are off, so this bounds one request. */
  readonly timeoutMs: number;
  /** Attempts after the first, for throttled, failing or unreachable services only. */
  readonly maxRetries: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Signs in flight at once: KMS quotas are per second, and a burst only gets throttled. */
  readonly maxConcurrentSigns: number;
  /** Signs waiting for a slot; one more is refused at once (ERR_KMS, transient). */
  readonly maxQueuedSigns: number;
}

export const DEFAULT_KMS_LIMITS: KmsLimits = Object.freeze({
  timeoutMs: 5_000,
  maxRetries: 3,
  retryBaseMs: 100,
  retryMaxMs: 2_000,
  maxConcurrentSigns: 8,
  maxQueuedSigns: 1_000,
});

/** Full jitter (a random wait up to the capped exponential): throttled clients spread out. */
export function backoffMs(limits: KmsLimits, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(limits.retryMaxMs, limits.retryBaseMs * 2 ** attempt);
  return Math.floor(random() * cap);
}
