/**
 * Micro-benchmark of the journal ledger's durability modes: hold+post pairs per second with N
 * concurrent callers, each doing holdNow then postNow (awaited when it returns a promise), as
 * the packet path does; the memory ledger as the baseline. Mode 'fsync-inflight' is 'fsync' as
 * the packet path uses it with reconciliation on (`settlement.reconcileInFlight`): each hold is
 * recorded with a packet's tag and awaited until written, each post carries a memo of its
 * fulfillment. CPU per pair is the process's user+system time over the cell. Also the time to reopen (replay) the
 * journal left by the 'fsync' run. Files go to a temp dir (under argv[5]), removed at the end.
 * Not part of the test run.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/ledger-journal-bench.js [seconds] [callers,...] [modes,...] [dir]
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeMemo, encodeTag } from '../src/core/reconcile/codec.js';
import {
  JOURNAL_DURABILITIES,
  type JournalDurability,
  JournalLedger,
  MemoryLedger,
  type PendingTransfer,
  type TransferResult,
} from '../src/ledger/index.js';

type Mode = JournalDurability | 'memory' | 'fsync-inflight';
interface Sync {
  holdNow(t: PendingTransfer): TransferResult;
  postNow(id: bigint): TransferResult | Promise<TransferResult>;
  close(): Promise<void>;
}
type InFlight = Sync & Pick<JournalLedger, 'holdInFlight' | 'postWithMemo'>;

export interface JournalBenchResult {
  mode: Mode;
  callers: number;
  pairsPerSec: number;
  /** Latency of one hold+post pair, microseconds. */
  p50Us: number;
  p99Us: number;
  /** This process's CPU time (user + system) per pair, microseconds. */
  cpuUsPerPair: number;
}

async function openLedger(mode: Mode, dir: string): Promise<Sync> {
  const ledger =
    mode === 'memory'
      ? new MemoryLedger()
      : new JournalLedger({
          durability: mode === 'fsync-inflight' ? 'fsync' : mode,
          snapshotPath: join(dir, mode, 'ledger-snapshot.json'),
        });
  await ledger.open();
  await ledger.createAccount('peer:alice');
  await ledger.createAccount('peer:bob');
  return ledger;
}

/** A packet's tag and memo as the packet path builds them (core/reconcile/in-flight.ts). */
const CONDITION = new Uint8Array(32).fill(7);
const FULFILLMENT = new Uint8Array(32).fill(9);
function tag(expiresAtMs: number): Uint8Array {
  const out = { condition: CONDITION, expiresAtMs: expiresAtMs - 1000, amount: 1n };
  return encodeTag({
    flags: 0,
    peerId: 'bob',
    out,
    sourceId: 'alice',
    inExpiresAtMs: expiresAtMs,
    inAmount: 1n,
  });
}
function memo(expiresAtMs: number): Uint8Array {
  const key = { condition: CONDITION, expiresAtMs, amount: 1n };
  return encodeMemo({ peerId: 'alice', key, fulfillment: FULFILLMENT });
}

async function measure(ledger: Sync, mode: Mode, callers: number, seconds: number, firstId: bigint) {
  let next = firstId;
  const latenciesNs: number[] = [];
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const inFlight = mode === 'fsync-inflight' ? (ledger as InFlight) : undefined;
  const caller = async () => {
    while (process.hrtime.bigint() < deadline) {
      const id = next++;
      const start = process.hrtime.bigint();
      const t = { id, debitAccount: 'peer:alice', creditAccount: 'peer:bob', amount: 1n, timeoutMs: 30_000 };
      let posted: TransferResult | Promise<TransferResult>;
      if (inFlight !== undefined) {
        const expiresAtMs = Date.now() + 30_000;
        const held = inFlight.holdInFlight(t, tag(expiresAtMs));
        if ((typeof held === 'string' ? held : await held) !== 'ok') throw new Error(`hold ${id} refused`);
        posted = inFlight.postWithMemo(id, expiresAtMs + 600_000, memo(expiresAtMs));
      } else {
        if (ledger.holdNow(t) !== 'ok') throw new Error(`hold ${id} refused`);
        posted = ledger.postNow(id);
      }
      if ((typeof posted === 'string' ? posted : await posted) !== 'ok') throw new Error(`post ${id}`);
      latenciesNs.push(Number(process.hrtime.bigint() - start));
      // A synchronous ledger would never yield: let the other callers (and timers) run.
      if (typeof posted === 'string' && latenciesNs.length % 64 === 0) await new Promise(setImmediate);
    }
  };
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  await Promise.all(Array.from({ length: callers }, caller));
  const cpu = process.cpuUsage(cpuStart);
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  latenciesNs.sort((a, b) => a - b);
  const at = (q: number) => Math.round((latenciesNs[Math.floor(q * (latenciesNs.length - 1))] ?? 0) / 1000);
  const result: JournalBenchResult = {
    mode,
    callers,
    pairsPerSec: Math.round(latenciesNs.length / elapsed),
    p50Us: at(0.5),
    p99Us: at(0.99),
    cpuUsPerPair: Math.round(((cpu.user + cpu.system) / latenciesNs.length) * 10) / 10,
  };
  return { result, next };
}

/** Reopens a crash copy of the 'fsync' files: snapshot load plus journal replay. */
async function measureReplay(dir: string): Promise<{ ms: number; records: bigint }> {
  const copy = join(dir, 'replay');
  await cp(join(dir, 'fsync'), copy, { recursive: true, filter: (src) => !src.endsWith('.lock') });
  const start = process.hrtime.bigint();
  const ledger = new JournalLedger({ snapshotPath: join(copy, 'ledger-snapshot.json') });
  await ledger.open();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const records = (await ledger.getBalance('peer:alice'))?.debitsPosted ?? 0n;
  await ledger.close();
  return { ms, records };
}

export async function runJournalBench(
  seconds = 2,
  callerCounts = [1, 16, 256],
  modes: Mode[] = ['memory', ...JOURNAL_DURABILITIES],
  baseDir?: string,
): Promise<JournalBenchResult[]> {
  const dir = await mkdtemp(join(baseDir ?? tmpdir(), 'ledger-journal-bench-'));
  const results: JournalBenchResult[] = [];
  try {
    for (const mode of modes) {
      const ledger = await openLedger(mode, dir);
      let next = 1n;
      await measure(ledger, mode, 16, Math.min(seconds, 0.5), 1n << 64n); // warm-up
      for (const callers of callerCounts) {
        const run = await measure(ledger, mode, callers, seconds, next);
        next = run.next;
        results.push(run.result);
        console.log(JSON.stringify(run.result));
      }
      if (mode === 'fsync') console.log(JSON.stringify({ replay: await measureReplay(dir) }, bigints));
      await ledger.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

const bigints = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = Number(process.argv[2] ?? 2);
  const callers = (process.argv[3] ?? '1,16,256').split(',').map(Number);
  const modes = (process.argv[4]?.split(',') ?? ['memory', ...JOURNAL_DURABILITIES]) as Mode[];
  console.log(`journal ledger, hold+post pairs, ${seconds} s per cell, node ${process.version}`);
  await runJournalBench(seconds, callers, modes, process.argv[5]);
}
