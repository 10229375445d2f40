/**
 * Settles fulfilled authorizations on chain, each exactly once: the token's nonce makes a second
 * `transferWithAuthorization` revert, so before sending, an authorization already used on chain
 * (sent before a crash) is only recorded. A transient failure (RPC down, timeout) is retried
 * every `retryIntervalMs` until the authorization expires; a revert (the payer emptied its
 * balance: the risk docs/gateway.md bounds) voids it with the reason.
 */
import { ChainError } from '../settlement/index.js';
import type { Logger } from '../utils/logger.js';
import { messageOf } from '../utils/text.js';
import type { AuthorizationStore, StoredAuthorization } from './authorization-store.js';
import type { RemoteFacilitator } from './facilitator.js';
import type { GatewayToken } from './token.js';

export type SettleResult =
  | { readonly settled: true; readonly tx: string }
  | { readonly settled: false; readonly retrying: boolean; readonly reason: string };

export interface SettlerOptions {
  readonly token: GatewayToken;
  /** When set, settlements go to this facilitator's `/settle` instead of the gateway's own transaction. */
  readonly remote?: RemoteFacilitator | undefined;
  readonly store: AuthorizationStore;
  readonly logger: Logger;
  readonly retryIntervalMs: number;
  readonly nowSeconds: () => bigint;
  /** Told of every settlement, for counters and events. */
  readonly onSettled?: ((stored: StoredAuthorization, tx: string) => void) | undefined;
  /** Told when an authorization is given up (refused on chain, or expired unsettled). */
  readonly onFailed?: ((stored: StoredAuthorization, reason: string) => void) | undefined;
}

export class Settler {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #stopped = false;

  constructor(private readonly o: SettlerOptions) {}

  async settle(stored: StoredAuthorization): Promise<SettleResult> {
    const { token, store } = this.o;
    const a = stored.authorization;
    try {
      if (await token.authorizationState(a.from, a.nonce)) {
        const tx = (await token.usedIn(a.from, a.nonce)) ?? '';
        return await this.#done(stored, tx);
      }
      const tx =
        this.o.remote === undefined
          ? await token.transferWithAuthorization(a, stored.signature)
          : await this.o.remote.settle(stored);
      return await this.#done(stored, tx);
    } catch (error) {
      const reason = messageOf(error);
      const expired = a.validBefore <= this.o.nowSeconds();
      if (error instanceof ChainError && !error.transient) {
        // A revert may also be a race with our own earlier send: the chain decides.
        if (await this.#usedNow(stored)) return this.#done(stored, error.txHash ?? '');
        this.o.logger.error(
          { id: stored.id, reason },
          'x402 settlement refused on chain; the authorization is void',
        );
        await store.voided(stored.id, reason).catch(() => undefined);
        return { settled: false, retrying: false, reason };
      }
      if (expired) {
        this.o.logger.error(
          { id: stored.id, reason },
          'x402 authorization expired before it could be settled',
        );
        await store.voided(stored.id, `expired unsettled: ${reason}`).catch(() => undefined);
        this.o.onFailed?.(stored, `expired unsettled: ${reason}`);
        return { settled: false, retrying: false, reason };
      }
      this.o.logger.warn({ id: stored.id, reason }, 'x402 settlement failed; retrying');
      this.#retryLater(stored);
      return { settled: false, retrying: true, reason };
    }
  }

  /** Stops the retries; what is left stays fulfilled in the store and is settled at the next start. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  get retrying(): number {
    return this.#timers.size;
  }

  async #done(stored: StoredAuthorization, tx: string): Promise<SettleResult> {
    await this.o.store.settled(stored.id, tx);
    this.o.onSettled?.(stored, tx);
    return { settled: true, tx };
  }

  async #usedNow(stored: StoredAuthorization): Promise<boolean> {
    try {
      return await this.o.token.authorizationState(stored.authorization.from, stored.authorization.nonce);
    } catch {
      return false;
    }
  }

  #retryLater(stored: StoredAuthorization): void {
    if (this.#stopped || this.#timers.has(stored.id)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(stored.id);
      void this.settle(stored);
    }, this.o.retryIntervalMs);
    timer.unref();
    this.#timers.set(stored.id, timer);
  }
}
