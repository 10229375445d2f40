/**
 * Micro-benchmark of the memory ledger: hold+post pairs per second, awaited one at a time as the
 * packet path does, and with a window of pairs in flight. Not part of the test run.
 *
 * Once large, the idempotency window (a map of up to `maxRememberedTransfers` bigint ids) dominates
 * the cost, so the window size is a parameter.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/ledger-bench.js [pairs] [maxRememberedTransfers]
 */
import { pathToFileURL } from 'node:url';
import { type Ledger, MemoryLedger } from '../src/ledger/index.js';

const DEBIT = 'peer:alice';
const CREDIT = 'peer:bob';
const IN_FLIGHT = 1000;

export interface LedgerBenchResult {
  mode: string;
  pairs: number;
  pairsPerSec: number;
  /** Each pair is two ledger calls: hold and post. */
  opsPerSec: number;
}

function hold(ledger: Ledger, id: bigint) {
  return ledger.hold({ id, debitAccount: DEBIT, creditAccount: CREDIT, amount: 1000n, timeoutMs: 30_000 });
}

async function oneByOne(ledger: Ledger, firstId: bigint, pairs: number): Promise<void> {
  for (let i = 0; i < pairs; i++) {
    const id = firstId + BigInt(i);
    if ((await hold(ledger, id)) !== 'ok' || (await ledger.post(id)) !== 'ok')
      throw new Error(`pair ${id} failed`);
  }
}

async function windowed(ledger: Ledger, firstId: bigint, pairs: number): Promise<void> {
  const holds: Promise<unknown>[] = new Array(IN_FLIGHT);
  const posts: Promise<unknown>[] = new Array(IN_FLIGHT);
  for (let done = 0; done < pairs; done += IN_FLIGHT) {
    for (let i = 0; i < IN_FLIGHT; i++) holds[i] = hold(ledger, firstId + BigInt(done + i));
    await Promise.all(holds);
    for (let i = 0; i < IN_FLIGHT; i++) posts[i] = ledger.post(firstId + BigInt(done + i));
    await Promise.all(posts);
  }
}

async function measure(
  mode: string,
  run: (ledger: Ledger, firstId: bigint, pairs: number) => Promise<void>,
  pairs: number,
  maxRememberedTransfers: number | undefined,
): Promise<LedgerBenchResult> {
  const ledger = new MemoryLedger(maxRememberedTransfers === undefined ? {} : { maxRememberedTransfers });
  await ledger.open();
  await ledger.createAccount(DEBIT);
  await ledger.createAccount(CREDIT);
  await run(ledger, 1n << 64n, Math.min(pairs, 100_000)); // warm-up: let the JIT settle
  const start = process.hrtime.bigint();
  await run(ledger, 1n, pairs);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await ledger.close();
  return { mode, pairs, pairsPerSec: pairs / seconds, opsPerSec: (2 * pairs) / seconds };
}

export async function runLedgerBench(
  pairs = 1_000_000,
  maxRememberedTransfers?: number,
): Promise<LedgerBenchResult[]> {
  return [
    await measure('one at a time', oneByOne, pairs, maxRememberedTransfers),
    await measure(`${IN_FLIGHT} in flight`, windowed, pairs, maxRememberedTransfers),
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const pairs = Number(process.argv[2] ?? 1_000_000);
  const window = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  console.log(
    `memory ledger, ${pairs} hold+post pairs, window ${window ?? 'default'}, node ${process.version}`,
  );
  for (const r of await runLedgerBench(pairs, window)) {
    const perSec = Math.round(r.pairsPerSec).toLocaleString('en-US');
    const ops = Math.round(r.opsPerSec).toLocaleString('en-US');
    console.log(`  ${r.mode.padEnd(16)} ${perSec} hold+post/s  (${ops} ledger ops/s)`);
  }
}
