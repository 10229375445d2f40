export { JournalLedger } from './journal/journal-ledger.js';
export type { JournalDurability, JournalLedgerOptions } from './journal/options.js';
export { DEFAULT_SNAPSHOT_PATH, JOURNAL_DURABILITIES } from './journal/options.js';
export type {
  AccountBalance,
  AccountOptions,
  InFlightHold,
  InFlightJournal,
  Ledger,
  LedgerMemo,
  PendingTransfer,
  SyncTransfers,
  Transfer,
  TransferResult,
} from './ledger.js';
export { MAX_ACCOUNT_ID_LENGTH, MAX_TIMEOUT_MS, TRANSFER_RESULT, U128_MAX } from './ledger.js';
export type { MemoryLedgerOptions } from './memory/memory-ledger.js';
export { MemoryLedger } from './memory/memory-ledger.js';
export type { PostedAccount, PostedLedgerState, PostedTransfer } from './memory/state.js';
export type { TbAccount, TbCreateResult, TbTransfer, TigerBeetleClientLike } from './tigerbeetle/client.js';
export type { TigerBeetleLedgerOptions } from './tigerbeetle/tigerbeetle-ledger.js';
export { TigerBeetleLedger } from './tigerbeetle/tigerbeetle-ledger.js';
