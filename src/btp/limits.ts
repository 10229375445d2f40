import { ConnectorError } from '../utils/errors.js';
import { type BtpLimits, DEFAULT_BTP_LIMITS, type ResolvedBtpLimits } from './types.js';

/** Largest delay setTimeout honours; Node turns a larger one into 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Completes `partial` with the defaults and checks every bound; the result is frozen. */
export function resolveBtpLimits(partial: Partial<BtpLimits> = {}): ResolvedBtpLimits {
  const limits: Required<BtpLimits> = { ...DEFAULT_BTP_LIMITS };
  for (const key of Object.keys(DEFAULT_BTP_LIMITS) as (keyof BtpLimits)[]) {
    const value = partial[key];
    if (value === undefined) continue;
    if (!isTimerValue(value)) {
      throw new ConnectorError(
        'ERR_INVALID_ARGUMENT',
        `BTP limit ${key} must be a positive integer, got ${value}`,
      );
    }
    limits[key] = value;
  }
  if (limits.reconnectMinMs > limits.reconnectMaxMs) {
    throw new ConnectorError(
      'ERR_INVALID_ARGUMENT',
      'BTP limit reconnectMinMs must not exceed reconnectMaxMs',
    );
  }
  return Object.freeze(limits);
}

/** A positive integer a timer can wait for (also a sane bound for counts and sizes). */
export function isTimerValue(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_TIMER_MS;
}
