/**
 * What the engine tells the node: events (`onEvent`), failures (logged, counted, emitted as
 * `error` events) and the stats. The stats have this one writer: the parts count through the
 * methods below, and everyone else reads `stats`.
 */
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import { messageOf } from '../../utils/text.js';
import { ChainError } from '../chain/errors.js';
import type { SavedCounts } from '../channels/channel-store.js';
import type { ClaimRefusal } from '../claims/claim.js';
import { logEvent } from './event-log.js';
import type { Lifecycle } from './lifecycle.js';
import type { SettlementEvent, SettlementStats } from './types.js';

/**
 * The stats counted as things happen. They go into the state file with every save of the
 * channels (`ChannelBook` asks for `saved()`), and a start goes on from the saved ones (`seed`).
 * The token amounts and channel counts of `SettlementEngine.stats` are not here: they are read
 * from the saved channels themselves (`ChannelBook.totals`, `channelCounts`).
 */
export type EventCounts = Omit<
  SettlementStats,
  'tokensSent' | 'tokensReceived' | 'tokensRedeemed' | 'channelsOpened' | 'channelsSettled'
>;

/** The plain counts of EventCounts: saved and seeded by name. */
const PLAIN_COUNTS = [
  'claimsSent',
  'claimsAcknowledged',
  'claimsRejectedByPeer',
  'claimsReceived',
  'redemptions',
] as const satisfies readonly (keyof EventCounts)[];
/** The counts by label value of EventCounts. */
const LABELLED_COUNTS = ['claimsRefused', 'chainErrors'] as const satisfies readonly (keyof EventCounts)[];

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
  /** Changes counted since the counts were last handed to a save. */
  #unsaved = 0;
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

  // ── saved counts ───────────────────────────────────────────────────────

  /**
   * Goes on from the counts of the last save (at start, before anything is counted). A name the
   * file does not have stays 0; one this code does not know is dropped at the next save.
   */
  seed(saved: SavedCounts | undefined): void {
    if (saved === undefined) return;
    for (const name of PLAIN_COUNTS) {
      const n = saved[name];
      if (typeof n === 'number') this.stats[name] = n;
    }
    for (const name of LABELLED_COUNTS) {
      const byLabel = saved[name];
      if (typeof byLabel !== 'object') continue;
      this.stats[name].clear();
      for (const [label, n] of Object.entries(byLabel)) this.stats[name].set(label, n);
    }
  }

  /** The counts as they are now, for a save; they are unsaved again once something is counted. */
  saved(): SavedCounts {
    this.#unsaved = 0;
    const out: Record<string, number | Record<string, number>> = {};
    for (const name of PLAIN_COUNTS) out[name] = this.stats[name];
    for (const name of LABELLED_COUNTS) out[name] = Object.fromEntries(this.stats[name]);
    return out;
  }

  /** Whether something was counted since the last save took the counts. */
  get unsaved(): boolean {
    return this.#unsaved > 0;
  }

  // ── counters ───────────────────────────────────────────────────────────
  // Each is counted before the save that records what it counts, when there is one, so a kill
  // after that save loses no count; the others are saved with the next change, by the engine's
  // watch pass, or at stop.

  countChainError(err: unknown): void {
    const { chainErrors } = this.stats;
    if (!(err instanceof ChainError)) return;
    chainErrors.set(err.kind, (chainErrors.get(err.kind) ?? 0) + 1);
    this.#unsaved++;
  }

  /** A claim we signed was booked (counted once, when its ledger move is recorded). */
  countClaimSent(): void {
    this.stats.claimsSent++;
    this.#unsaved++;
  }

  countClaimAcknowledged(): void {
    this.stats.claimsAcknowledged++;
    this.#unsaved++;
  }

  countClaimRejectedByPeer(): void {
    this.stats.claimsRejectedByPeer++;
    this.#unsaved++;
  }

  /** A peer's claim was booked (counted once, when its ledger move is recorded). */
  countClaimReceived(): void {
    this.stats.claimsReceived++;
    this.#unsaved++;
  }

  countClaimRefused(reason: ClaimRefusal | 'unknown-peer'): void {
    const { claimsRefused } = this.stats;
    claimsRefused.set(reason, (claimsRefused.get(reason) ?? 0) + 1);
    this.#unsaved++;
  }

  countRedemption(): void {
    this.stats.redemptions++;
    this.#unsaved++;
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof ConnectorError && err.message.includes('settlement stopped');
}
