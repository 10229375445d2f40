/**
 * Holds whose Prepare left this node, until their outcome is known, and memos (fulfillments this
 * node passed on), for reconciliation after a crash (docs/settlement.md, "In-flight packets across
 * a crash"). The ledger keeps them opaque: `tag` and `data` are core/'s encoding.
 *
 * An in-flight hold is open from its record until it is posted, settled (`SettledRecord`) or
 * booked by reconciliation (a transfer with id `reconciledId(id)`). Replay and run time use the
 * same fold, so a snapshot carries exactly the open holds and the latest memos.
 */
import type { InFlightRecord, JournalRecord, MemoRecord } from './codec.js';
import { RECORD_TYPE } from './codec.js';

/** Reconciliation books a hold as a single-phase transfer with this bit set in the hold's id. */
export const RECONCILED_BIT = 1n << 127n;

export function reconciledId(holdId: bigint): bigint {
  return holdId | RECONCILED_BIT;
}

export class InFlightBook {
  readonly open = new Map<bigint, InFlightRecord>();
  /**
   * Open records whose packet is no longer in the pipeline (voided without an answer, or read back
   * at a restart): their peer may be asked before their expiry. Keyed by the record object, so a
   * record removed from `open` needs no clean-up here.
   */
  readonly outcomeLost = new WeakSet<InFlightRecord>();
  readonly maxMemos: number;
  /** A ring of the latest `maxMemos` memos; `#next` is where the next one goes. */
  #memos: MemoRecord[] = [];
  #next = 0;
  /**
   * The memos found at open (written before a crash: the ones whose Fulfill may not have left),
   * kept apart so that new traffic does not push them out; at most `4 * maxMemos`, the latest.
   */
  #recovered: MemoRecord[] = [];

  constructor(maxMemos: number) {
    this.maxMemos = maxMemos;
  }

  /** Replay and run time alike; ignores records that are not about in-flight holds. */
  apply(record: JournalRecord): void {
    switch (record.type) {
      case RECORD_TYPE.inFlight:
        this.open.set(record.id, record);
        break;
      case RECORD_TYPE.settled:
        this.open.delete(record.id);
        break;
      case RECORD_TYPE.posted:
        this.open.delete(record.id);
        if (record.memo !== undefined) this.addMemo(record.memo);
        break;
      case RECORD_TYPE.transfer:
        if (record.id >= RECONCILED_BIT) this.open.delete(record.id ^ RECONCILED_BIT);
        break;
      case RECORD_TYPE.memo:
        this.addMemo(record);
        break;
    }
  }

  addMemo(memo: MemoRecord): void {
    if (this.maxMemos === 0) return;
    if (this.#memos.length < this.maxMemos) this.#memos.push(memo);
    else this.#memos[this.#next] = memo;
    this.#next = this.#next + 1 === this.maxMemos ? 0 : this.#next + 1;
  }

  /** Memos still valid at `nowMs`, oldest first. */
  memos(nowMs: number): MemoRecord[] {
    const ring = [...this.#memos.slice(this.#next), ...this.#memos.slice(0, this.#next)];
    this.#recovered = this.#recovered.filter((m) => m.untilMs > nowMs);
    return [...this.#recovered, ...ring.filter((m) => m.untilMs > nowMs)];
  }

  /** At the end of open: what was read back becomes the recovered memos. */
  sealRecovered(nowMs: number): void {
    for (const record of this.open.values()) this.outcomeLost.add(record);
    this.#recovered = this.memos(nowMs).slice(-4 * this.maxMemos);
    this.#memos = [];
    this.#next = 0;
  }
}
