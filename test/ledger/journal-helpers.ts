/** Helpers for the journal backend's tests: temp dirs, "crash" copies of its files, a log catcher. */
import { mkdtempSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { pino } from 'pino';
import { type AccountBalance, JournalLedger, type JournalLedgerOptions } from '../../src/ledger/index.js';
import type { Logger } from '../../src/utils/logger.js';

const root = mkdtempSync(join(tmpdir(), 'journal-ledger-'));
after(() => rm(root, { recursive: true, force: true }));

/** A new temp dir, removed (with all the others) when the test file ends. */
export function tempDir(): Promise<string> {
  return mkdtemp(join(root, 'l'));
}

export const snapshotIn = (dir: string): string => join(dir, 'ledger-snapshot.json');

/**
 * The files as a crash right now would leave them: a copy of the directory without the lock
 * (whose pid, ours, is alive). Only meaningful while no write is in flight.
 */
export async function crashCopy(dir: string): Promise<string> {
  const copy = await tempDir();
  await cp(dir, copy, { recursive: true, filter: (src) => !src.endsWith('.lock') });
  return copy;
}

export async function journalFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.includes('.journal-')).sort();
}

/** Generation files are preallocated to 64 KiB here unless `options` says otherwise. */
export const TEST_PREALLOCATE_BYTES = 64 << 10;

export async function openJournal(dir: string, options: JournalLedgerOptions = {}): Promise<JournalLedger> {
  const ledger = new JournalLedger({
    snapshotPath: snapshotIn(dir),
    preallocateBytes: TEST_PREALLOCATE_BYTES,
    ...options,
  });
  await ledger.open();
  return ledger;
}

/**
 * The end of a generation file's records: the end of the file, or its end marker (a frame header
 * of length 0, where a preallocated file's zeros begin). Does not check checksums.
 */
export async function recordsEnd(file: string): Promise<number> {
  const bytes = await readFile(file);
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    if (length === 0) return at;
    at += 8 + length;
  }
  return Math.min(at, bytes.length);
}

/** A logger whose warn and error lines are kept, parsed. */
export function catchingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
  return { logger: pino({ level: 'warn' }, stream), lines };
}

export const hold = (id: bigint, amount = 1n) => ({
  id,
  debitAccount: 'peer:a',
  creditAccount: 'peer:b',
  amount,
  timeoutMs: 60_000,
});

export const transfer = (id: bigint, amount = 1n) => ({
  id,
  debitAccount: 'peer:b',
  creditAccount: 'own:settlement',
  amount,
});

/** Accounts peer:a, peer:b, own:settlement, with a debit limit on peer:a. */
export async function createAccounts(ledger: JournalLedger): Promise<void> {
  await ledger.createAccount('peer:a', { debitLimit: 1_000_000n });
  await ledger.createAccount('peer:b');
  await ledger.createAccount('own:settlement');
}

/** Every account's balance, by id. */
export async function balances(ledger: JournalLedger): Promise<Record<string, AccountBalance>> {
  const out: Record<string, AccountBalance> = {};
  for (const id of (await ledger.listAccounts()).sort()) out[id] = (await ledger.getBalance(id))!;
  return out;
}

/** The balances a crash leaves: posted amounts only (every pending hold is voided). */
export function postedOnly(balances: Record<string, AccountBalance>): Record<string, AccountBalance> {
  const out: Record<string, AccountBalance> = {};
  for (const [id, b] of Object.entries(balances)) out[id] = { ...b, debitsPending: 0n, creditsPending: 0n };
  return out;
}
