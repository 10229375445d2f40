/**
 * Creating the TigerBeetle accounts behind a ledger account, and checking that its mirrors still
 * follow it before a limit is relied on (../README.md, "TigerBeetle"). Both are idempotent: a node
 * that restarts calls createAccount again for every peer and finds its balances.
 */
import { ConnectorError } from '../../utils/errors.js';
import type { AccountOptions } from '../ledger.js';
import type { TigerBeetleBatcher } from './batcher.js';
import { type ChainContext, GRANT, type LimitedAccount } from './chains.js';
import { ACCOUNT_FLAGS, TB, TB_ACCOUNT, type TbAccount } from './client.js';
import { type AccountIds, grantId } from './ids.js';

const MIRROR_RECHECK_MS = 20;

/** user_data_32 of each TigerBeetle account says what it is, for whoever reads the cluster. */
const ROLE = { main: 1, debitMirror: 2, creditMirror: 3, probe: 4 } as const;

function account(ctx: ChainContext, id: bigint, flags: number, role: number): TbAccount {
  return {
    id,
    debits_pending: 0n,
    debits_posted: 0n,
    credits_pending: 0n,
    credits_posted: 0n,
    user_data_128: 0n,
    user_data_64: 0n,
    user_data_32: role,
    reserved: 0,
    ledger: ctx.ledger,
    code: ctx.code,
    flags,
    timestamp: 0n,
  };
}

function refused(what: string, code: number): ConnectorError {
  return new ConnectorError(
    'ERR_LEDGER',
    `TigerBeetle refused to create ${what} (result code ${code}; an account with this id and other ` +
      'flags, ledger or code exists)',
  );
}

/** Creates the probe account limit checks go through; returns once TigerBeetle answered. */
export async function ensureProbeAccount(batcher: TigerBeetleBatcher, ctx: ChainContext): Promise<void> {
  const [code] = await batcher.createAccounts([account(ctx, ctx.probeAccount, 0, ROLE.probe)]);
  if (code !== TB.ok && code !== TB_ACCOUNT.exists) throw refused('the probe account', code ?? -1);
}

/**
 * Creates the main account and its mirrors, then the grant that gives the mirrors their headroom.
 * Returns whether all of it is new (then the mirrors follow the account by construction).
 */
export async function ensureAccount(
  batcher: TigerBeetleBatcher,
  ctx: ChainContext,
  name: string,
  ids: AccountIds,
): Promise<boolean> {
  const codes = await batcher.createAccounts([
    account(ctx, ids.main, 0, ROLE.main),
    account(ctx, ids.debitMirror, ACCOUNT_FLAGS.debitsMustNotExceedCredits, ROLE.debitMirror),
    account(ctx, ids.creditMirror, ACCOUNT_FLAGS.creditsMustNotExceedDebits, ROLE.creditMirror),
  ]);
  for (const code of codes) {
    if (code !== TB.ok && code !== TB_ACCOUNT.exists) throw refused(`account ${name}`, code);
  }
  const grant = {
    id: grantId(ids.main),
    debit_account_id: ids.creditMirror,
    credit_account_id: ids.debitMirror,
    amount: GRANT,
    pending_id: 0n,
    user_data_128: 0n,
    user_data_64: 0n,
    user_data_32: 0,
    timeout: 0,
    ledger: ctx.ledger,
    code: ctx.code,
    flags: 0,
    timestamp: 0n,
  };
  const [grantCode] = await batcher.createTransfers([grant]);
  if (grantCode !== TB.ok && grantCode !== TB.exists) throw refused(`the grant of ${name}`, grantCode ?? -1);
  return codes.every((c) => c === TB.ok) && grantCode === TB.ok;
}

/** Limits at or above the mirror headroom cannot be checked; an absent limit means none. */
export function checkLimitRange(options: AccountOptions | undefined): ConnectorError | undefined {
  for (const [name, limit] of [
    ['debitLimit', options?.debitLimit],
    ['creditLimit', options?.creditLimit],
  ] as const) {
    if (limit !== undefined && limit >= GRANT) {
      return new ConnectorError(
        'ERR_INVALID_ARGUMENT',
        `${name} must be below 2^126 on the tigerbeetle backend (omit it for no limit), got ${limit}`,
      );
    }
  }
  return undefined;
}

/**
 * Before a limit is relied on, the mirrors must equal the account (plus the grant). They differ
 * for good only if the account once went past 2^126 without a limit, and then no limit can be
 * enforced; for a few nanoseconds while TigerBeetle expires a hold and then its legs (created
 * just after it), hence one more look after a pause.
 */
export async function checkMirrors(
  batcher: TigerBeetleBatcher,
  name: string,
  ids: AccountIds,
): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, MIRROR_RECHECK_MS));
    const [a, d, c] = await batcher.lookupAccounts([ids.main, ids.debitMirror, ids.creditMirror]);
    if (a === undefined || d === undefined || c === undefined) {
      throw new ConnectorError('ERR_LEDGER', `TigerBeetle has no accounts for ${name}`);
    }
    const follows =
      d.debits_pending === a.debits_pending &&
      d.debits_posted === a.debits_posted &&
      d.credits_pending === a.credits_pending &&
      d.credits_posted === a.credits_posted + GRANT &&
      c.debits_pending === a.debits_pending &&
      c.debits_posted === a.debits_posted + GRANT &&
      c.credits_pending === a.credits_pending &&
      c.credits_posted === a.credits_posted;
    if (follows) return;
  }
  throw new ConnectorError(
    'ERR_INVALID_ARGUMENT',
    `cannot enforce a limit on ${name} with TigerBeetle: its balances went past 2^126 without one`,
  );
}

/** Whether `options` sets a limit on a side that had none here (then the mirrors must be checked). */
export function addsLimit(known: LimitedAccount | undefined, options: AccountOptions | undefined): boolean {
  return (
    (options?.debitLimit !== undefined && known?.debitLimit === undefined) ||
    (options?.creditLimit !== undefined && known?.creditLimit === undefined)
  );
}
