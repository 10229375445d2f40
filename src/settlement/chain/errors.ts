/**
 * Failures of chain calls, as one error class with a `kind`. Contract reverts carry the
 * decoded custom error (`StaleProof`, `WrongSigner`, ...) and its arguments. Messages never
 * carry the RPC URL's path or query (API keys live there) nor raw key material.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  TimeoutError,
  WaitForTransactionReceiptTimeoutError,
} from 'viem';
import { redactKeys, redactUrlIn } from '../../keys/redact.js';
import { ConnectorError, type ErrorCode } from '../../utils/errors.js';
import { messageOf } from '../../utils/text.js';

export type ChainErrorKind = 'revert' | 'rpc' | 'timeout' | 'wrong-chain' | 'not-found';

const CODE_BY_KIND: Readonly<Record<ChainErrorKind, ErrorCode>> = {
  revert: 'ERR_CHAIN_REVERT',
  rpc: 'ERR_CHAIN_RPC',
  timeout: 'ERR_CHAIN_TIMEOUT',
  'wrong-chain': 'ERR_CHAIN_WRONG_CHAIN',
  'not-found': 'ERR_CHAIN_NOT_FOUND',
};

export interface ChainErrorDetails {
  /** The decoded custom error of a revert, e.g. `StaleProof`. */
  errorName?: string | undefined;
  errorArgs?: readonly unknown[] | undefined;
  txHash?: string | undefined;
  /** viem's full description, redacted. */
  detail?: string | undefined;
}

export class ChainError extends ConnectorError {
  readonly kind: ChainErrorKind;
  readonly operation: string;
  readonly errorName: string | undefined;
  readonly errorArgs: readonly unknown[] | undefined;
  readonly txHash: string | undefined;
  readonly detail: string | undefined;

  constructor(kind: ChainErrorKind, operation: string, message: string, details: ChainErrorDetails = {}) {
    super(CODE_BY_KIND[kind], `${operation}: ${message}`);
    this.kind = kind;
    this.operation = operation;
    this.errorName = details.errorName;
    this.errorArgs = details.errorArgs;
    this.txHash = details.txHash;
    this.detail = details.detail;
  }

  /** Whether trying the same call again may succeed: the RPC failed or timed out, nothing was refused. */
  get transient(): boolean {
    return this.kind === 'rpc' || this.kind === 'timeout';
  }
}

function formatArgs(args: readonly unknown[] | undefined): string {
  return (args ?? []).map((arg) => (typeof arg === 'bigint' ? arg.toString() : String(arg))).join(', ');
}

/** Maps whatever viem threw to a ChainError, scrubbing `rpcUrl`; `txHash` when one was sent. */
export function toChainError(operation: string, error: unknown, rpcUrl: string, txHash?: string): ChainError {
  if (error instanceof ChainError) return error;
  const scrub = (text: string) => redactKeys(redactUrlIn(text, rpcUrl));
  if (!(error instanceof BaseError)) {
    return new ChainError('rpc', operation, scrub(messageOf(error)), { txHash });
  }
  const detail = scrub(error.message);
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (revert instanceof ContractFunctionRevertedError) {
    const errorName = revert.data?.errorName ?? revert.reason;
    const errorArgs = revert.data?.args;
    const what =
      errorName === undefined ? 'reverted' : `reverted with ${errorName}(${formatArgs(errorArgs)})`;
    return new ChainError('revert', operation, what, { errorName, errorArgs, detail, txHash });
  }
  const timedOut = error.walk(
    (e) => e instanceof TimeoutError || e instanceof WaitForTransactionReceiptTimeoutError,
  );
  if (timedOut !== null)
    return new ChainError('timeout', operation, scrub(error.shortMessage), { detail, txHash });
  return new ChainError('rpc', operation, scrub(error.shortMessage), { detail, txHash });
}
