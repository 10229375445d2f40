/**
 * The slice of the tigerbeetle-node client the TigerBeetle backend uses: the calls TigerBeetle
 * 0.15 to 0.17 share (createClient, createAccounts, createTransfers, lookupAccounts,
 * lookupTransfers, destroy), and the numeric flags and result codes, copied from
 * tigerbeetle-node 0.16.66 (`dist/bindings.d.ts`) because importing the package loads its native
 * library. The codes kept their numbers from 0.15 on; 0.17 only added `created = 0xFFFFFFFF`.
 */
import { ConnectorError } from '../../utils/errors.js';

/** Same shape as tigerbeetle-node's `Account`. */
export interface TbAccount {
  id: bigint;
  debits_pending: bigint;
  debits_posted: bigint;
  credits_pending: bigint;
  credits_posted: bigint;
  user_data_128: bigint;
  user_data_64: bigint;
  user_data_32: number;
  reserved: number;
  ledger: number;
  code: number;
  flags: number;
  timestamp: bigint;
}

/** Same shape as tigerbeetle-node's `Transfer`. `timeout` is in seconds. */
export interface TbTransfer {
  id: bigint;
  debit_account_id: bigint;
  credit_account_id: bigint;
  amount: bigint;
  pending_id: bigint;
  user_data_128: bigint;
  user_data_64: bigint;
  user_data_32: number;
  timeout: number;
  ledger: number;
  code: number;
  flags: number;
  timestamp: bigint;
}

/**
 * A create result: up to 0.16 only failures are listed, `{ index, result }`; from 0.17 every event
 * has one, `{ status, timestamp }`, in batch order, with `created` for success.
 */
export type TbCreateResult = { index: number; result: number } | { status: number; timestamp: bigint };

/** What the ledger needs of a client; tigerbeetle-node's `Client` satisfies it, as does a test double. */
export interface TigerBeetleClientLike {
  createAccounts(batch: TbAccount[]): Promise<readonly TbCreateResult[]>;
  createTransfers(batch: TbTransfer[]): Promise<readonly TbCreateResult[]>;
  lookupAccounts(batch: bigint[]): Promise<readonly TbAccount[]>;
  lookupTransfers(batch: bigint[]): Promise<readonly TbTransfer[]>;
  destroy(): void;
}

export const ACCOUNT_FLAGS = {
  debitsMustNotExceedCredits: 2,
  creditsMustNotExceedDebits: 4,
} as const;

export const TRANSFER_FLAGS = {
  linked: 1,
  pending: 2,
  postPending: 4,
  voidPending: 8,
  balancingDebit: 16,
  balancingCredit: 32,
} as const;

/** 0.17's status for a created event; up to 0.16 success is code 0 or absent. */
export const TB_CREATED = 0xffff_ffff;

/** CreateAccountError codes the backend tells apart. */
export const TB_ACCOUNT = { exists: 21 } as const;

/** CreateTransferError codes the backend tells apart. */
export const TB = {
  ok: 0,
  linkedEventFailed: 1,
  accountsMustBeDifferent: 12,
  debitAccountNotFound: 21,
  creditAccountNotFound: 22,
  pendingTransferNotFound: 25,
  pendingTransferNotPending: 26,
  pendingTransferAlreadyPosted: 33,
  pendingTransferAlreadyVoided: 34,
  pendingTransferExpired: 35,
  exists: 46,
  overflowsDebitsPending: 47,
  overflowsCreditsPending: 48,
  overflowsDebitsPosted: 49,
  overflowsCreditsPosted: 50,
  overflowsDebits: 51,
  overflowsCredits: 52,
  exceedsCredits: 54,
  exceedsDebits: 55,
  idAlreadyFailed: 68,
} as const;

/** TigerBeetle's limit on events per request (create_transfers, 0.16). */
export const TB_BATCH_MAX = 8189;

/** Failure codes of a create request by event index (absent: created). Accepts both result shapes. */
export function failuresByIndex(results: readonly TbCreateResult[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const [position, r] of results.entries()) {
    if ('index' in r) {
      if (r.result !== TB.ok) out.set(r.index, r.result);
    } else if (r.status !== TB_CREATED) out.set(position, r.status);
  }
  return out;
}

export interface ClientArgs {
  clusterId: bigint;
  replicaAddresses: readonly string[];
}

/**
 * Loads tigerbeetle-node only now, so that a node not using TigerBeetle never loads native code.
 * The client connects in the background; the first request tells whether the cluster answers.
 */
export async function loadClient(args: ClientArgs): Promise<TigerBeetleClientLike> {
  type Module = typeof import('tigerbeetle-node');
  let mod: Module;
  try {
    mod = await import('tigerbeetle-node');
  } catch (cause) {
    throw new ConnectorError('ERR_LEDGER', `tigerbeetle-node could not be loaded: ${String(cause)}`, {
      cause,
    });
  }
  const createClient = mod.createClient ?? (mod as unknown as { default: Module }).default.createClient;
  return createClient({ cluster_id: args.clusterId, replica_addresses: [...args.replicaAddresses] });
}
