/**
 * Argument checks shared by every backend so they refuse the same input the same way. They
 * return the error instead of throwing so callers can hand it to `Promise.reject` without a
 * try/catch on the hot path.
 */
import { ConnectorError } from '../utils/errors.js';
import { type AccountOptions, MAX_ACCOUNT_ID_LENGTH, MAX_TIMEOUT_MS, U128_MAX } from './ledger.js';

function invalid(message: string): ConnectorError {
  return new ConnectorError('ERR_INVALID_ARGUMENT', message);
}

/** TigerBeetle rejects ids 0 and 2^128 - 1, so no backend may accept them. */
export function checkTransferId(id: bigint): ConnectorError | undefined {
  if (typeof id === 'bigint' && id > 0n && id < U128_MAX) return undefined;
  return invalid(`transfer id must be a bigint in (0, 2^128 - 1), got ${String(id)}`);
}

export function checkTimeoutMs(timeoutMs: number): ConnectorError | undefined {
  if (Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_TIMEOUT_MS) return undefined;
  return invalid(`timeoutMs must be an integer in [1, ${MAX_TIMEOUT_MS}], got ${String(timeoutMs)}`);
}

/** An explicit clock reading for `voidExpired`; NaN would silently expire nothing. */
export function checkNowMs(nowMs: number | undefined): ConnectorError | undefined {
  if (nowMs === undefined || Number.isFinite(nowMs)) return undefined;
  return invalid(`nowMs must be a finite number, got ${String(nowMs)}`);
}

export function checkAccountId(id: string): ConnectorError | undefined {
  if (typeof id === 'string' && id.length > 0 && id.length <= MAX_ACCOUNT_ID_LENGTH) return undefined;
  return invalid(`account id must be a string of 1 to ${MAX_ACCOUNT_ID_LENGTH} characters`);
}

function checkLimit(name: string, limit: bigint | undefined): ConnectorError | undefined {
  if (limit === undefined || (typeof limit === 'bigint' && limit >= 0n && limit <= U128_MAX))
    return undefined;
  return invalid(`${name} must be a bigint in [0, 2^128 - 1], got ${String(limit)}`);
}

export function checkAccountOptions(options: AccountOptions | undefined): ConnectorError | undefined {
  if (options === undefined) return undefined;
  return checkLimit('debitLimit', options.debitLimit) ?? checkLimit('creditLimit', options.creditLimit);
}

export function isValidAmount(amount: bigint): boolean {
  return typeof amount === 'bigint' && amount > 0n && amount <= U128_MAX;
}
