import { TRANSFER_RESULT } from '../../ledger/index.js';
import type { PipelineServices, Reply, Stage } from '../context.js';
import { SELF_ACCOUNT } from '../peers.js';
import { reject } from '../reject.js';

/**
 * Two-phase accounting (DESIGN §6): hold the amount (debit the source, credit the next hop or
 * our own account) before going on; post on Fulfill, void on Reject or error. The source's
 * `maximum` bounds posted + pending debt (T04). Zero-amount packets skip the ledger.
 */
export function reserveBalance(s: PipelineServices): Stage {
  return async (ctx, next) => {
    const amount = ctx.prepare.amount;
    const debitAccount = ctx.source?.account ?? SELF_ACCOUNT;
    const creditAccount = ctx.local ? SELF_ACCOUNT : ctx.nextHop!.account;
    if (amount === 0n || debitAccount === creditAccount) return next(ctx);

    const id = s.nextTransferId();
    // The hold outlives the packet's own deadline by one window, never longer than a packet may be held.
    const heldForMs = Math.min(ctx.prepare.expiresAt.getTime() - ctx.receivedAtMs, s.maxHoldTimeMs);
    const timeoutMs = heldForMs + s.minMessageWindowMs;
    const held = await s.ledger.hold({ id, debitAccount, creditAccount, amount, timeoutMs });
    if (held !== TRANSFER_RESULT.ok) {
      if (held === TRANSFER_RESULT.exceedsDebitLimit)
        return reject('T04', 'exceeded maximum balance.', s.address());
      s.logger.error({ result: held, debitAccount, creditAccount }, 'ledger refused a hold');
      return reject('T00', 'internal error: ledger unavailable', s.address());
    }

    let reply: Reply;
    try {
      reply = await next(ctx);
    } catch (err) {
      await s.ledger.void(id);
      throw err;
    }
    if (reply.type === 13) {
      const posted = await s.ledger.post(id);
      if (posted !== TRANSFER_RESULT.ok) {
        // The hold is gone (expired or voided): we must not pass a Fulfill we did not book.
        s.logger.error({ result: posted, id: id.toString() }, 'ledger refused to post a fulfilled transfer');
        return reject('T00', 'internal error: could not book the transfer', s.address());
      }
    } else {
      await s.ledger.void(id);
    }
    return reply;
  };
}
