/** Exponent cap: 2^30 times any sane minimum is far above any maximum. */
const MAX_DOUBLINGS = 30;

/**
 * Delay before re-dial number `attempt` (0 = first after a loss): the ceiling doubles from
 * `minMs` up to `maxMs`, and the delay is drawn from the upper half of it (jitter spreads
 * reconnect storms) but never below `minMs`.
 */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(attempt, 0), MAX_DOUBLINGS));
  const r = random();
  const unit = r >= 0 && r < 1 ? r : 0.5;
  return Math.round(Math.max(minMs, ceiling * (0.5 + unit / 2)));
}
