/**
 * A per-address budget of BTP login attempts, checked at the HTTP upgrade so that a flood of bad
 * logins from one address is refused (429) before it costs a WebSocket handshake, a session and
 * an auth check. Each upgrade spends one attempt; a login that succeeds gives it back, so a peer
 * that reconnects often is never throttled, only attempts that fail or never authenticate count.
 *
 * A token bucket per address: `authAttemptsPerAddress` attempts at once, one more regained every
 * `authAttemptRefillMs`. The map is bounded by `maxAddresses`: when full, the oldest entry goes
 * (an attacker rotating addresses can at worst reset its own budgets, never grow memory).
 */
export interface AuthLimiterOptions {
  burst: number;
  refillMs: number;
  maxAddresses: number;
}

interface Budget {
  tokens: number;
  atMs: number;
}

export class AuthAttemptLimiter {
  private readonly budgets = new Map<string, Budget>();
  /** Upgrades refused because their address had no attempts left. */
  refused = 0;

  constructor(private readonly o: AuthLimiterOptions) {}

  /** Spends one attempt of `address`; false (refuse the upgrade) when none is left. */
  take(address: string, nowMs: number): boolean {
    const budget = this.refilled(address, nowMs);
    if (budget.tokens < 1) {
      this.refused++;
      return false;
    }
    budget.tokens -= 1;
    return true;
  }

  /** A login from `address` succeeded: its attempt is given back. */
  succeeded(address: string): void {
    const budget = this.budgets.get(address);
    if (budget === undefined) return;
    budget.tokens = Math.min(this.o.burst, budget.tokens + 1);
    if (budget.tokens >= this.o.burst) this.budgets.delete(address);
  }

  get addresses(): number {
    return this.budgets.size;
  }

  private refilled(address: string, nowMs: number): Budget {
    let budget = this.budgets.get(address);
    if (budget === undefined) {
      if (this.budgets.size >= this.o.maxAddresses) {
        const oldest = this.budgets.keys().next().value;
        if (oldest !== undefined) this.budgets.delete(oldest);
      }
      budget = { tokens: this.o.burst, atMs: nowMs };
      this.budgets.set(address, budget);
      return budget;
    }
    const regained = Math.floor((nowMs - budget.atMs) / this.o.refillMs);
    if (regained > 0) {
      budget.tokens = Math.min(this.o.burst, budget.tokens + regained);
      budget.atMs += regained * this.o.refillMs;
    }
    return budget;
  }
}
