/**
 * What the engine tells the node: events (`onEvent`), failures (logged, counted, emitted as
 * `error` events) and the stats. The stats have this one writer: the parts count through the
 * methods below, and everyone else reads `stats`.
 */
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import { messageOf } from '../../utils/text.js';
import { ChainError } from '../chain/errors.js';
import type { ClaimRefusal } from '../claims/claim.js';
import type { Lifecycle } from './lifecycle.js';
import type { SettlementEvent, SettlementStats } from './types.js';

/** Events, failure reports and the counters behind `SettlementEngine.stats`. */
export class Reporter {
  /** Read it anywhere; only this class changes it. */
  readonly stats: SettlementStats = {
    claimsSent: 0,
    claimsAcknowledged: 0,
    claimsRejectedByPeer: 0,
    claimsReceived: 0,
    claimsRefused: new Map(),
    redemptions: 0,
    tokensSent: 0n,
    tokensReceived: 0n,
    tokensRedeemed: 0n,
    chainErrors: new Map(),
  };
  readonly #logger: Logger;
  readonly #onEvent: ((event: SettlementEvent) => void) | undefined;
  readonly #life: Pick<Lifecycle, 'stopped'>;

  constructor(
    logger: Logger,
    onEvent: ((event: SettlementEvent) => void) | undefined,
    life: Pick<Lifecycle, 'stopped'>,
  ) {
    this.#logger = logger;
    this.#onEvent = onEvent;
    this.#life = life;
  }

  emit(event: SettlementEvent): void {
    try {
      this.#onEvent?.(event);
    } catch (err) {
      this.#logger.error({ err }, 'a settlement event listener threw');
    }
  }

  /** A background operation failed: logged, counted, emitted; the stop's own aborts are not. */
  report(operation: string, err: unknown, peerId?: string): void {
    if (this.#life.stopped && isAbort(err)) return;
    const message = messageOf(err);
    this.countChainError(err);
    this.#logger.error({ operation, peerId, err: message }, `settlement: ${operation} failed`);
    this.emit({ type: 'error', operation, message, ...(peerId === undefined ? {} : { peerId }) });
  }

  /** Operator actions throw to their caller; their chain failures are counted all the same. */
  counted<T>(run: Promise<T>): Promise<T> {
    return run.catch((err: unknown) => {
      this.countChainError(err);
      throw err;
    });
  }

  // ── counters ───────────────────────────────────────────────────────────

  countChainError(err: unknown): void {
    const { chainErrors } = this.stats;
    if (err instanceof ChainError) chainErrors.set(err.kind, (chainErrors.get(err.kind) ?? 0) + 1);
  }

  countClaimSent(tokens: bigint): void {
    this.stats.claimsSent++;
    this.stats.tokensSent += tokens;
  }

  countClaimAcknowledged(): void {
    this.stats.claimsAcknowledged++;
  }

  countClaimRejectedByPeer(): void {
    this.stats.claimsRejectedByPeer++;
  }

  countClaimReceived(tokens: bigint): void {
    this.stats.claimsReceived++;
    this.stats.tokensReceived += tokens;
  }

  countClaimRefused(reason: ClaimRefusal | 'unknown-peer'): void {
    const { claimsRefused } = this.stats;
    claimsRefused.set(reason, (claimsRefused.get(reason) ?? 0) + 1);
  }

  countRedemption(paid: bigint): void {
    this.stats.redemptions++;
    this.stats.tokensRedeemed += paid;
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof ConnectorError && err.message.includes('settlement stopped');
}
