/** Rate-limited warnings, for failures that can repeat once per packet. */
import type { Logger } from './logger.js';

/**
 * At most one warn per kind per interval, so a BLS that is down logs a line every few seconds,
 * not one per packet; the next warn says how many were suppressed. Kinds are a closed set.
 */
export class WarnLimiter {
  private readonly lastMs = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const nowMs = performance.now();
    const lastMs = this.lastMs.get(kind);
    if (lastMs !== undefined && nowMs - lastMs < this.intervalMs) {
      this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1);
      return;
    }
    const suppressed = this.suppressed.get(kind) ?? 0;
    this.lastMs.set(kind, nowMs);
    this.suppressed.set(kind, 0);
    this.logger.warn({ ...fields, kind, suppressed }, message);
  }
}
