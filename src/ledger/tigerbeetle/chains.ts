/**
 * The linked chains of TigerBeetle transfers behind each ledger call, and how their results map
 * to TRANSFER_RESULT. TigerBeetle applies a chain atomically: the first event that fails fails
 * them all (the others answer linked_event_failed) and nothing of it remains.
 *
 * The limit scheme (../README.md, "TigerBeetle"): every ledger account is three TigerBeetle
 * accounts, the main one (no flags; its counters are the balance) and two mirrors that receive
 * the same debits and credits: a debit mirror with `debits_must_not_exceed_credits` and a credit
 * mirror with `credits_must_not_exceed_debits`, each granted GRANT of headroom at creation. So the
 * debit mirror's room is GRANT - (debitsPending + debitsPosted - creditsPosted) of the main
 * account, and the credit mirror's GRANT - (creditsPending + creditsPosted - debitsPosted).
 * A limit L is checked by TigerBeetle itself, inside the chain, after the transfer and its mirror
 * legs: a pending probe of GRANT - L against the mirror fails with exceeds_credits (or
 * exceeds_debits) exactly when the usage now exceeds L, and is voided at once when it does not.
 * The limit is thus a parameter of each chain, not a state of TigerBeetle: it can be raised,
 * lowered below the current usage, removed or set on both sides at any time.
 *
 * Mirror legs are balancing transfers so that an account without a limit is never refused for
 * want of mirror headroom (past 2^126 its mirror saturates and stops following; a limit can then
 * no longer be set on it, see `checkMirrors`). A limited side never saturates: its probe fails first.
 */
import { ConnectorError } from '../../utils/errors.js';
import { TRANSFER_RESULT as R, type TransferResult } from '../ledger.js';
import { TRANSFER_FLAGS as F, TB, type TbTransfer } from './client.js';
import type { HoldRecord } from './holds.js';
import { type AccountIds, type FreshIds, legId } from './ids.js';

/** Mirror headroom. Limits must stay below it; see ../README.md for the bounds it implies. */
export const GRANT = 1n << 126n;

export interface ChainContext {
  ledger: number;
  code: number;
  probeAccount: bigint;
  fresh: FreshIds;
}

/** What a chain needs of a ledger account. */
export interface LimitedAccount {
  ids: AccountIds;
  debitLimit: bigint | undefined;
  creditLimit: bigint | undefined;
}

type Role = 'main' | 'leg' | 'probe' | 'finish' | 'finish-leg';

export interface Chain {
  events: TbTransfer[];
  roles: Role[];
}

function event(fields: Partial<TbTransfer> & { id: bigint }): TbTransfer {
  return {
    debit_account_id: 0n,
    credit_account_id: 0n,
    amount: 0n,
    pending_id: 0n,
    user_data_128: 0n,
    user_data_64: 0n,
    user_data_32: 0,
    timeout: 0,
    ledger: 0,
    code: 0,
    flags: 0,
    timestamp: 0n,
    ...fields,
  };
}

function linked(chain: Chain): Chain {
  const last = chain.events.length - 1;
  chain.events.forEach((e, i) => {
    if (i < last) e.flags |= F.linked;
  });
  return chain;
}

/**
 * A hold (timeoutMs > 0) or a single-phase transfer (timeoutMs 0): the transfer, its two mirror
 * legs, then one probe and its void per limit that applies (debit side first, as the memory
 * backend checks). timeoutMs is kept in user_data_64 so that a retry with another timeoutMs
 * answers exists_with_different_fields even when both round to the same seconds.
 */
export function createChain(
  ctx: ChainContext,
  t: { id: bigint; amount: bigint; timeoutMs: number },
  debit: LimitedAccount,
  credit: LimitedAccount,
): Chain {
  const pending = t.timeoutMs > 0 ? F.pending : 0;
  const timeout = Math.ceil(t.timeoutMs / 1000);
  const common = { amount: t.amount, timeout, ledger: ctx.ledger, code: ctx.code };
  const chain: Chain = {
    events: [
      event({
        ...common,
        id: t.id,
        debit_account_id: debit.ids.main,
        credit_account_id: credit.ids.main,
        user_data_64: BigInt(t.timeoutMs),
        flags: pending,
      }),
      event({
        ...common,
        id: legId(t.id, 'debit'),
        debit_account_id: debit.ids.debitMirror,
        credit_account_id: credit.ids.debitMirror,
        flags: pending | F.balancingDebit,
      }),
      event({
        ...common,
        id: legId(t.id, 'credit'),
        debit_account_id: debit.ids.creditMirror,
        credit_account_id: credit.ids.creditMirror,
        flags: pending | F.balancingCredit,
      }),
    ],
    roles: ['main', 'leg', 'leg'],
  };
  if (debit.debitLimit !== undefined) {
    addProbe(ctx, chain, debit.ids.debitMirror, ctx.probeAccount, GRANT - debit.debitLimit);
  }
  if (credit.creditLimit !== undefined) {
    addProbe(ctx, chain, ctx.probeAccount, credit.ids.creditMirror, GRANT - credit.creditLimit);
  }
  return linked(chain);
}

function addProbe(ctx: ChainContext, chain: Chain, debit: bigint, credit: bigint, amount: bigint): void {
  // Fresh ids: a probe that fails burns its id (TigerBeetle's transient errors), the transfer's does not.
  const id = ctx.fresh.next();
  const { ledger, code } = ctx;
  chain.events.push(
    event({ id, debit_account_id: debit, credit_account_id: credit, amount, ledger, code, flags: F.pending }),
    event({ id: ctx.fresh.next(), pending_id: id, flags: F.voidPending }),
  );
  chain.roles.push('probe', 'probe');
}

/**
 * Posts a hold with its exact amount (0 and 2^128 - 1 mean different things on post across
 * TigerBeetle versions); its mirror legs are voided and posted again as balancing transfers, so
 * that a leg that was clamped while pending needs no amount of its own.
 */
export function postChain(ctx: ChainContext, hold: HoldRecord): Chain {
  const { ledger, code } = ctx;
  const { amount, debit, credit } = hold;
  return linked({
    events: [
      event({ id: ctx.fresh.next(), pending_id: hold.id, amount, flags: F.postPending }),
      event({ id: ctx.fresh.next(), pending_id: legId(hold.id, 'debit'), flags: F.voidPending }),
      event({ id: ctx.fresh.next(), pending_id: legId(hold.id, 'credit'), flags: F.voidPending }),
      event({
        id: ctx.fresh.next(),
        debit_account_id: debit.debitMirror,
        credit_account_id: credit.debitMirror,
        amount,
        ledger,
        code,
        flags: F.balancingDebit,
      }),
      event({
        id: ctx.fresh.next(),
        debit_account_id: debit.creditMirror,
        credit_account_id: credit.creditMirror,
        amount,
        ledger,
        code,
        flags: F.balancingCredit,
      }),
    ],
    roles: ['finish', 'finish-leg', 'finish-leg', 'finish-leg', 'finish-leg'],
  });
}

/** Voids a hold and its legs (amount 0: the full pending amount, in every version). */
export function voidChain(ctx: ChainContext, id: bigint, voidId: bigint): Chain {
  return linked({
    events: [
      event({ id: voidId, pending_id: id, flags: F.voidPending }),
      event({ id: ctx.fresh.next(), pending_id: legId(id, 'debit'), flags: F.voidPending }),
      event({ id: ctx.fresh.next(), pending_id: legId(id, 'credit'), flags: F.voidPending }),
    ],
    roles: ['finish', 'finish-leg', 'finish-leg'],
  });
}

const EXISTS_WITH_DIFFERENT = new Set([36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 67]);

/** The event that failed the chain and its code, or undefined when the chain was created. */
function failure(chain: Chain, codes: readonly number[]): { role: Role; code: number } | undefined {
  for (const [i, code] of codes.entries()) {
    if (code !== TB.ok && code !== TB.linkedEventFailed) return { role: chain.roles[i]!, code };
  }
  if (codes.some((c) => c === TB.linkedEventFailed)) throw unexpected('chain', TB.linkedEventFailed);
  return undefined;
}

function unexpected(role: string, code: number): ConnectorError {
  return new ConnectorError('ERR_LEDGER', `TigerBeetle refused a ${role} event with result code ${code}`);
}

/** Limits and overflows, wherever in the chain: the debit side's or the credit side's. */
function sideResult(code: number): TransferResult | undefined {
  switch (code) {
    case TB.exceedsCredits:
    case TB.overflowsDebitsPending:
    case TB.overflowsDebitsPosted:
    case TB.overflowsDebits:
      return R.exceedsDebitLimit;
    case TB.exceedsDebits:
    case TB.overflowsCreditsPending:
    case TB.overflowsCreditsPosted:
    case TB.overflowsCredits:
      return R.exceedsCreditLimit;
    default:
      return undefined;
  }
}

export function createResult(chain: Chain, codes: readonly number[]): TransferResult {
  const failed = failure(chain, codes);
  if (failed === undefined) return R.ok;
  const { role, code } = failed;
  const side = sideResult(code);
  if (side !== undefined) return side;
  if (role === 'main') {
    if (code === TB.exists) return R.exists;
    // id_already_failed: an earlier attempt with this id failed for a transient reason; the id is spent.
    if (EXISTS_WITH_DIFFERENT.has(code) || code === TB.idAlreadyFailed) return R.idMismatch;
    if (code === TB.accountsMustBeDifferent) return R.sameAccount;
    if (code === TB.debitAccountNotFound || code === TB.creditAccountNotFound) return R.accountNotFound;
  }
  throw unexpected(role, code);
}

/** `existsMeans`: what a retried finishing event (a derived id) answers, e.g. the expiry void. */
export function finishResult(
  chain: Chain,
  codes: readonly number[],
  existsMeans?: TransferResult,
): TransferResult {
  const failed = failure(chain, codes);
  if (failed === undefined) return R.ok;
  const { role, code } = failed;
  if (role === 'finish') {
    if (code === TB.pendingTransferNotFound || code === TB.pendingTransferNotPending)
      return R.pendingNotFound;
    if (code === TB.pendingTransferAlreadyPosted) return R.pendingAlreadyPosted;
    if (code === TB.pendingTransferAlreadyVoided) return R.pendingAlreadyVoided;
    if (code === TB.pendingTransferExpired) return R.pendingExpired;
    if (code === TB.exists && existsMeans !== undefined) return existsMeans;
  }
  throw unexpected(role, code);
}
