/**
 * Run by journal-crash.test.ts in a child process, then killed with SIGKILL: opens the journal at
 * argv[2] with durability argv[3], and posts holds and makes transfers from 8 concurrent loops,
 * reporting each id to the parent (IPC) only once its promise has resolved, i.e. once durable.
 * Snapshots every 10 ms, so the kill also lands during generation switches and compaction.
 */
import { type JournalDurability, JournalLedger } from '../../src/ledger/index.js';

const [snapshotPath, durability] = process.argv.slice(2) as [string, JournalDurability];
const ledger = new JournalLedger({ snapshotPath, durability, snapshotIntervalMs: 10 });
await ledger.open();
await ledger.createAccount('peer:a');
await ledger.createAccount('peer:b');
await ledger.createAccount('own:settlement');
process.send!({ ready: true });

let next = 1n;
async function loop(): Promise<void> {
  for (;;) {
    const id = next++;
    if (id % 5n === 0n) {
      const t = { id, debitAccount: 'peer:b', creditAccount: 'own:settlement', amount: 1n };
      if ((await ledger.transfer(t)) !== 'ok') throw new Error(`transfer ${id} refused`);
    } else {
      const t = { id, debitAccount: 'peer:a', creditAccount: 'peer:b', amount: 1n, timeoutMs: 60_000 };
      if (ledger.holdNow(t) !== 'ok') throw new Error(`hold ${id} refused`);
      if (id % 7n === 0n) continue; // left pending: the crash must void it
      if ((await ledger.postNow(id)) !== 'ok') throw new Error(`post ${id} refused`);
    }
    process.send!({ durable: id.toString() });
  }
}
await Promise.all(Array.from({ length: 8 }, loop));
