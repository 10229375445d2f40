import {
  type InFlightJournal,
  type Ledger,
  type PendingTransfer,
  type SyncTransfers,
  TRANSFER_RESULT,
  type TransferResult,
} from '../../ledger/index.js';
import type { Next, PacketContext, PipelineServices, Reply, Stage } from '../context.js';
import { SELF_ACCOUNT } from '../peers.js';
import { afterReject, inFlightJournal, postWithMemo, tagOf } from '../reconcile/in-flight.js';
import { reject } from '../reject.js';

/**
 * Two-phase accounting (DESIGN §6): hold the amount (debit the source, credit the next hop or
 * our own account) before going on; post on Fulfill, void on Reject or error. The source's
 * `maximum` bounds posted + pending debt (T04). Zero-amount packets skip the ledger.
 *
 * A ledger that answers without promises (SyncTransfers: the memory and journal ledgers) is
 * called without awaiting: each await of its already-settled promises cost an async frame and a
 * microtask per packet.
 */
export function reserveBalance(s: PipelineServices): Stage {
  const ledger = s.ledger;
  return isSync(ledger) ? reserveNow(s, ledger) : reserveAsync(s, ledger);
}

function isSync(ledger: Ledger): ledger is Ledger & SyncTransfers {
  const sync = ledger as Partial<SyncTransfers>;
  return (
    typeof sync.holdNow === 'function' &&
    typeof sync.postNow === 'function' &&
    typeof sync.voidNow === 'function'
  );
}

function reserveNow(s: PipelineServices, ledger: Ledger & SyncTransfers): Stage {
  const journal = s.reconcileInFlight === true ? inFlightJournal(ledger) : undefined;
  const go = goOn(s, ledger, journal);
  return (ctx, next) => {
    const transfer = transferOf(s, ctx);
    if (transfer === undefined) return next(ctx);
    // A Prepare that leaves this node is recorded first (written, kill -9 safe) for reconciliation.
    const recorded = journal !== undefined && !ctx.local;
    if (!recorded) {
      const held = ledger.holdNow(transfer);
      if (held !== TRANSFER_RESULT.ok) return holdRefused(s, held, transfer);
      return go(ctx, next, transfer.id, false);
    }
    const held = journal.holdInFlight(transfer, tagOf(ctx));
    if (typeof held === 'string') {
      return held === TRANSFER_RESULT.ok ? go(ctx, next, transfer.id, true) : holdRefused(s, held, transfer);
    }
    return held.then(
      (result) =>
        result === TRANSFER_RESULT.ok ? go(ctx, next, transfer.id, true) : holdRefused(s, result, transfer),
      (err: unknown) => {
        try {
          ledger.voidNow(transfer.id);
        } catch {
          // the ledger failed: its holds are gone with it
        }
        s.logger.error({ err }, 'ledger could not record a hold');
        return reject('T00', 'internal error: ledger unavailable', s.address());
      },
    );
  };
}

type GoOn = (ctx: PacketContext, next: Next, id: bigint, recorded: boolean) => Promise<Reply> | Reply;

/** The hold is placed: forward or deliver, then post or void it. */
function goOn(s: PipelineServices, ledger: SyncTransfers, journal: InFlightJournal | undefined): GoOn {
  return (ctx, next, id, recorded) => {
    let reply: Promise<Reply> | Reply;
    try {
      reply = next(ctx);
    } catch (err) {
      ledger.voidNow(id);
      throw err;
    }
    // The peer we now owe (settlement checks its balance after the Fulfill is booked).
    const owedTo = s.fulfilledTo === undefined || ctx.local ? undefined : ctx.nextHop?.id;
    if (!isThenable(reply)) return settleNow(s, ledger, journal, ctx, id, reply, owedTo, recorded);
    return Promise.resolve(reply).then(
      (r) => settleNow(s, ledger, journal, ctx, id, r, owedTo, recorded),
      (err: unknown) => {
        ledger.voidNow(id);
        throw err;
      },
    );
  };
}

/** Any thenable, not only a native promise: a Fulfill must never pass unbooked. */
function isThenable(reply: Promise<Reply> | Reply): reply is Promise<Reply> {
  return typeof (reply as Partial<PromiseLike<Reply>>).then === 'function';
}

function settleNow(
  s: PipelineServices,
  ledger: SyncTransfers,
  journal: InFlightJournal | undefined,
  ctx: PacketContext,
  id: bigint,
  reply: Reply,
  owedTo: string | undefined,
  recorded: boolean,
): Promise<Reply> | Reply {
  if (reply.type !== 13) {
    ledger.voidNow(id);
    if (recorded) afterReject(journal!, ctx, id);
    return reply;
  }
  // With a source peer, the proof of the Fulfill is kept with the posting, for that peer to ask.
  const posted =
    journal !== undefined && ctx.source !== undefined
      ? postWithMemo(s, journal, ctx, id, reply.fulfillment)
      : ledger.postNow(id);
  if (typeof posted === 'string') return booked(s, posted, id, reply, owedTo);
  // A durable backend answers once the posting is on disk: the Fulfill waits for it.
  return posted.then((result) => booked(s, result, id, reply, owedTo));
}

function booked(
  s: PipelineServices,
  posted: TransferResult,
  id: bigint,
  reply: Reply,
  owedTo: string | undefined,
): Reply {
  if (posted !== TRANSFER_RESULT.ok) return notBooked(s, posted, id);
  if (owedTo !== undefined) {
    // Booked is booked: nothing the settlement hook does may turn this Fulfill into a reject.
    try {
      s.fulfilledTo?.(owedTo);
    } catch (err) {
      s.logger.error({ err }, 'settlement hook threw after a Fulfill');
    }
  }
  return reply;
}

function reserveAsync(s: PipelineServices, ledger: Ledger): Stage {
  return async (ctx, next) => {
    const transfer = transferOf(s, ctx);
    if (transfer === undefined) return next(ctx);
    const held = await ledger.hold(transfer);
    if (held !== TRANSFER_RESULT.ok) return holdRefused(s, held, transfer);
    const { id } = transfer;
    let reply: Reply;
    try {
      reply = await next(ctx);
    } catch (err) {
      await ledger.void(id);
      throw err;
    }
    if (reply.type !== 13) {
      await ledger.void(id);
      return reply;
    }
    const owedTo = ctx.local ? undefined : ctx.nextHop?.id;
    return booked(s, await ledger.post(id), id, reply, owedTo);
  };
}

/** The hold to place, or undefined when the packet moves no value between two accounts. */
function transferOf(s: PipelineServices, ctx: PacketContext): PendingTransfer | undefined {
  const amount = ctx.prepare.amount;
  const debitAccount = ctx.source?.account ?? ctx.originAccount ?? SELF_ACCOUNT;
  const creditAccount = ctx.local
    ? (s.local.accountOf(ctx.prepare.destination) ?? SELF_ACCOUNT)
    : ctx.nextHop!.account;
  if (amount === 0n || debitAccount === creditAccount) return undefined;
  // The hold outlives the packet's own deadline by one window, never longer than a packet may be held.
  const heldForMs = Math.min(ctx.prepare.expiresAt.getTime() - ctx.receivedAtMs, s.maxHoldTimeMs);
  const timeoutMs = heldForMs + s.minMessageWindowMs;
  return { id: s.nextTransferId(), debitAccount, creditAccount, amount, timeoutMs };
}

function holdRefused(s: PipelineServices, result: TransferResult, t: PendingTransfer): Reply {
  if (result === TRANSFER_RESULT.exceedsDebitLimit)
    return reject('T04', 'exceeded maximum balance.', s.address());
  const { debitAccount, creditAccount } = t;
  s.logger.error({ result, debitAccount, creditAccount }, 'ledger refused a hold');
  return reject('T00', 'internal error: ledger unavailable', s.address());
}

/** The hold is gone (expired or voided): we must not pass a Fulfill we did not book. */
function notBooked(s: PipelineServices, result: TransferResult, id: bigint): Reply {
  s.logger.error({ result, id: id.toString() }, 'ledger refused to post a fulfilled transfer');
  return reject('T00', 'internal error: could not book the transfer', s.address());
}
