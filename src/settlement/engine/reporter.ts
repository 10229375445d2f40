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
import { logEvent } from './event-log.js';
import type { Lifecycle } from './lifecycle.js';
import type { SettlementEvent, SettlementStats } from './types.js';

/**
 * The stats counted as things happen, since this start. The token amounts of
 * `SettlementEngine.stats` are not here: they are read from the saved channels
 * (`ChannelBook.totals`), so they survive a restart.
 */
export type EventCounts = Omit<SettlementStats, 'tokensSent' | 'tokensReceived' | 'tokensRedeemed'>;

/** Events, failure reports and the counters behind `SettlementEngine.stats`. */
export class Reporter {
  /** Read it anywhere; only this class changes it. */
  readonly stats: EventCounts = {
    claimsSent: 0,
    claimsAcknowledged: 0,
    claimsRejectedByPeer: 0,
    claimsReceived: 0,
    claimsRefused: new Map(),
    redemptions: 0,
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

  /** Logs the event (one line, event-log.ts) and hands it to the node. */
  emit(event: SettlementEvent): void {
    logEvent(this.#logger, event);
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

  countClaimSent(): void {
    this.stats.claimsSent++;
  }

  countClaimAcknowledged(): void {
    this.stats.claimsAcknowledged++;
  }

  countClaimRejectedByPeer(): void {
    this.stats.claimsRejectedByPeer++;
  }

  countClaimReceived(): void {
    this.stats.claimsReceived++;
  }

  countClaimRefused(reason: ClaimRefusal | 'unknown-peer'): void {
    const { claimsRefused } = this.stats;
    claimsRefused.set(reason, (claimsRefused.get(reason) ?? 0) + 1);
  }

  countRedemption(): void {
    this.stats.redemptions++;
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof ConnectorError && err.message.includes('settlement stopped');
}
