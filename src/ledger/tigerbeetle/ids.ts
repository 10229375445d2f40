/**
 * u128 ids for the TigerBeetle backend. Account names and derived transfers are hashed (SHA-256,
 * first 16 bytes, big-endian) under a domain prefix that includes the TigerBeetle ledger number,
 * so the same names on another ledger are other accounts. These strings are part of the stored
 * data: changing them orphans every account already created.
 */
import { createHash, randomBytes } from 'node:crypto';
import { U128_MAX } from '../ledger.js';

const DOMAIN = 'ilp-connector/tigerbeetle/v1/';

function hash128(domain: string, data: string): bigint {
  for (let salt = ''; ; salt += '#') {
    const digest = createHash('sha256').update(`${DOMAIN}${domain}\0${data}${salt}`).digest();
    const id = (digest.readBigUInt64BE(0) << 64n) | digest.readBigUInt64BE(8);
    // 0 and 2^128 - 1 are reserved by TigerBeetle; a rehash is a 2^-127 event.
    if (id !== 0n && id !== U128_MAX) return id;
  }
}

/** The three TigerBeetle accounts behind one ledger account (../README.md, "TigerBeetle"). */
export interface AccountIds {
  /** The account itself, no flags: its counters are the balance. */
  main: bigint;
  /** Mirror with debits_must_not_exceed_credits, for the debit limit. */
  debitMirror: bigint;
  /** Mirror with credits_must_not_exceed_debits, for the credit limit. */
  creditMirror: bigint;
}

export function accountIds(ledger: number, name: string): AccountIds {
  return mirrorsOf(hash128('account', `${ledger}/${name}`));
}

/** Mirrors are derived from the main id, so a transfer looked up by id leads to them. */
export function mirrorsOf(main: bigint): AccountIds {
  const key = main.toString(16);
  return { main, debitMirror: hash128('debit-mirror', key), creditMirror: hash128('credit-mirror', key) };
}

/** The ledger-wide counterparty of limit probes; its pending amounts return to 0 within each chain. */
export function probeAccountId(ledger: number): bigint {
  return hash128('probe', String(ledger));
}

/** The transfer that gives an account's mirrors their headroom (credit mirror -> debit mirror). */
export function grantId(main: bigint): bigint {
  return hash128('grant', main.toString(16));
}

/** The mirror legs of a transfer: derived, so a post or void finds them without a lookup. */
export function legId(transferId: bigint, side: 'debit' | 'credit'): bigint {
  return hash128(`leg-${side}`, transferId.toString(16));
}

/** The void that expires a hold: derived, so "voided because expired" can be told later. */
export function expiryVoidId(transferId: bigint): bigint {
  return hash128('expiry-void', transferId.toString(16));
}

/**
 * Fresh ids for post/void/probe events, time-based like TigerBeetle's `id()` (48 bits of
 * milliseconds, then 80 bits from a random start incremented per id), so they sort by time, which
 * keeps TigerBeetle's LSM tree cheap.
 */
export class FreshIds {
  #lastMs = 0;
  #counter = 0n;

  next(): bigint {
    const ms = Date.now();
    if (ms > this.#lastMs) {
      this.#lastMs = ms;
      this.#counter = BigInt(`0x${randomBytes(10).toString('hex')}`) >> 1n;
    } else {
      this.#counter += 1n;
    }
    return (BigInt(this.#lastMs) << 80n) | (this.#counter & ((1n << 80n) - 1n));
  }
}
