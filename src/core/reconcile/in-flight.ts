/**
 * What the packet path does for reconciliation (docs/settlement.md, "In-flight packets across a
 * crash"), with a ledger that keeps in-flight records (the journal):
 * - before a Prepare leaves: its hold is recorded with the packet's tag (reserve-balance.ts);
 * - a Fulfill from a peer's Prepare: a memo in the posting's record, so that peer can ask for it
 *   after a crash;
 * - a reject from the next hop: the record is settled (nothing to reconcile);
 * - no answer (timeout, link closed): the record stays open for the reconciler; when the upstream
 *   peer was answered with our reject, a late fulfillment is booked to our own account.
 */
import type { InFlightJournal, Ledger, TransferResult } from '../../ledger/index.js';
import type { PacketContext, PipelineServices } from '../context.js';
import { SELF_ACCOUNT } from '../peers.js';
import { ANSWERED_UPSTREAM, decodeTag, encodeMemo, encodeTag } from './codec.js';

/** Ten minutes: how long after a packet's expiry its outcome is still reconciled. */
export const DEFAULT_RECONCILE_WINDOW_MS = 600_000;

export function inFlightJournal(ledger: Ledger): InFlightJournal | undefined {
  const j = ledger as Partial<InFlightJournal>;
  return typeof j.holdInFlight === 'function' && typeof j.memo === 'function'
    ? (ledger as Ledger & InFlightJournal)
    : undefined;
}

export function tagOf(ctx: PacketContext): Uint8Array {
  const { prepare } = ctx;
  return encodeTag({
    flags: 0,
    peerId: ctx.nextHop!.id,
    out: {
      condition: prepare.executionCondition,
      expiresAtMs: ctx.outgoingExpiryMs,
      amount: ctx.outgoingAmount,
    },
    sourceId: ctx.source?.id,
    inExpiresAtMs: prepare.expiresAt.getTime(),
    inAmount: prepare.amount,
  });
}

/** Posts the hold with the memo of its fulfillment for the peer the Prepare came from. */
export function postWithMemo(
  s: PipelineServices,
  journal: InFlightJournal,
  ctx: PacketContext,
  id: bigint,
  fulfillment: Uint8Array,
): TransferResult | Promise<TransferResult> {
  const { prepare } = ctx;
  const expiresAtMs = prepare.expiresAt.getTime();
  const until = expiresAtMs + (s.reconcileWindowMs ?? DEFAULT_RECONCILE_WINDOW_MS);
  const key = { condition: prepare.executionCondition, expiresAtMs, amount: prepare.amount };
  return journal.postWithMemo(id, until, encodeMemo({ peerId: ctx.source!.id, key, fulfillment }));
}

/**
 * A recorded hold was voided: a reject from the next hop settles it; no answer leaves it open for
 * the reconciler. When the upstream peer gets our reject, a fulfillment found later is our loss,
 * not theirs: the record is rebooked to our own account.
 */
export function afterReject(journal: InFlightJournal, ctx: PacketContext, id: bigint): void {
  if (!ctx.unanswered) {
    journal.settleInFlight(id);
    return;
  }
  if (ctx.source === undefined) return;
  const hold = journal.inFlight(id);
  if (hold === undefined) return;
  const tag = decodeTag(hold.tag);
  journal.reRecordInFlight({
    ...hold,
    debitAccount: SELF_ACCOUNT,
    tag: encodeTag({ ...tag, flags: tag.flags | ANSWERED_UPSTREAM }),
  });
}
