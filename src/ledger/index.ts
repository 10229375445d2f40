export type {
  AccountBalance,
  AccountOptions,
  Ledger,
  PendingTransfer,
  Transfer,
  TransferResult,
} from './ledger.js';
export { MAX_ACCOUNT_ID_LENGTH, MAX_TIMEOUT_MS, TRANSFER_RESULT, U128_MAX } from './ledger.js';
export type { MemoryLedgerOptions } from './memory-ledger.js';
export { MemoryLedger } from './memory-ledger.js';
