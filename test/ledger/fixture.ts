/**
 * Shared helpers for the ledger conformance suite. Account names and transfer ids are unique per
 * fixture so the suite also runs against persistent backends (a reused journal file, a long-lived
 * TigerBeetle cluster) where ids and accounts from earlier runs still exist.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import type { AccountBalance, Ledger } from '../../src/ledger/index.js';
import { ConnectorError, type ErrorCode } from '../../src/utils/errors.js';

/** A clock the suite moves by hand, so expiry tests need no sleeps. */
export class ManualClock {
  #nowMs: number;
  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
  }
  now(): number {
    return this.#nowMs;
  }
  advance(ms: number): void {
    this.#nowMs += ms;
  }
}

export type LedgerFactory = () => Promise<Ledger> | Ledger;

export interface ConformanceOptions {
  /** The clock the factory's ledgers read; without it, tests that need time to pass are skipped. */
  clock?: ManualClock;
  /** Property runs of the model-based test (default 200). */
  modelRuns?: number;
}

export interface Fixture {
  ledger: Ledger;
  clock: ManualClock | undefined;
  /** The fixture's unique account id for a short name such as `peer:alice`. */
  acct(name: string): string;
  /** The fixture's unique transfer id for a small number. */
  tid(n: number): bigint;
}

export function makeFixture(ledger: Ledger, clock: ManualClock | undefined): Fixture {
  const suffix = randomBytes(6).toString('hex');
  const base = (BigInt(`0x${randomBytes(8).toString('hex')}`) + 1n) << 16n;
  return { ledger, clock, acct: (name) => `${name}#${suffix}`, tid: (n) => base + BigInt(n) };
}

type TestBody = (f: Fixture) => Promise<void>;

/**
 * `it`, with a fresh open ledger per test, closed afterwards whatever happens. With `needsClock`,
 * the tests are skipped unless the suite was given the clock the ledgers read.
 */
export function ledgerIt(make: LedgerFactory, opts: ConformanceOptions, needsClock = false) {
  const skip = needsClock && opts.clock === undefined ? 'the backend has no injectable clock' : false;
  return (title: string, body: TestBody): void => {
    it(title, { skip }, async () => {
      const ledger = await make();
      await ledger.open();
      try {
        await body(makeFixture(ledger, opts.clock));
      } finally {
        await ledger.close();
      }
    });
  };
}

export const ZERO: AccountBalance = Object.freeze({
  debitsPending: 0n,
  debitsPosted: 0n,
  creditsPending: 0n,
  creditsPosted: 0n,
});

export async function assertBalance(
  f: Fixture,
  name: string,
  expected: Partial<AccountBalance>,
): Promise<void> {
  assert.deepEqual(await f.ledger.getBalance(f.acct(name)), { ...ZERO, ...expected }, `balance of ${name}`);
}

export function isLedgerError(code: ErrorCode): (e: unknown) => boolean {
  return (e) => e instanceof ConnectorError && e.code === code;
}

/** Creates the given short-named accounts without limits. */
export async function createAccounts(f: Fixture, ...names: string[]): Promise<void> {
  for (const name of names) await f.ledger.createAccount(f.acct(name));
}
