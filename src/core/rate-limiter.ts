/**
 * Token bucket per peer (T05 when empty). Off unless configured: no silent default cap.
 * Refill is computed from the clock on each take, so an idle bucket costs nothing.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;
  private readonly ratePerMs: number;
  private readonly burst: number;

  constructor(packetsPerSecond: number, burst: number, nowMs: number) {
    this.ratePerMs = packetsPerSecond / 1000;
    this.burst = burst;
    this.tokens = burst;
    this.lastMs = nowMs;
  }

  take(nowMs: number): boolean {
    const elapsed = nowMs - this.lastMs;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerMs);
      this.lastMs = nowMs;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
