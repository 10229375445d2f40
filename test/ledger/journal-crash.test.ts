/**
 * kill -9 loses no posting that was reported durable (DESIGN.md §6): a child process posts and
 * reports each posting once its promise resolved; it is killed with SIGKILL mid-stream, and the
 * reopened ledger must hold every reported posting (and no pending hold).
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { TRANSFER_RESULT as R } from '../../src/ledger/index.js';
import { openJournal, snapshotIn, tempDir } from './journal-helpers.js';

const child = new URL('./journal-crash-child.js', import.meta.url);

describe('JournalLedger and kill -9', () => {
  for (const durability of ['fsync', 'write'] as const) {
    for (const afterDurable of [1, 100, 400, 1000, 3000]) {
      it(`${durability}: every posting reported durable survives a SIGKILL after ${afterDurable}`, async () => {
        const dir = await tempDir();
        const durable: bigint[] = [];
        const proc = fork(child, [snapshotIn(dir), durability], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        const exited = once(proc, 'exit');
        await new Promise<void>((resolve, reject) => {
          proc.on('message', (m: { durable?: string }) => {
            if (m.durable !== undefined) durable.push(BigInt(m.durable));
            if (durable.length >= afterDurable) resolve();
          });
          proc.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
        });
        proc.kill('SIGKILL');
        const [, signal] = await exited;
        assert.equal(signal, 'SIGKILL');

        const ledger = await openJournal(dir); // the dead child's lock is taken over
        const a = await ledger.getBalance('peer:a');
        const settlement = await ledger.getBalance('own:settlement');
        assert.equal(a?.debitsPending, 0n, 'no hold survives');
        const posts = durable.filter((id) => id % 5n !== 0n);
        const transfers = durable.length - posts.length;
        assert.ok(a!.debitsPosted >= BigInt(posts.length), `${a!.debitsPosted} >= ${posts.length} posts`);
        assert.ok(settlement!.creditsPosted >= BigInt(transfers));
        for (const id of durable) {
          const fields =
            id % 5n === 0n
              ? ledger.transfer({ id, debitAccount: 'peer:b', creditAccount: 'own:settlement', amount: 1n })
              : ledger.hold({
                  id,
                  debitAccount: 'peer:a',
                  creditAccount: 'peer:b',
                  amount: 1n,
                  timeoutMs: 60_000,
                });
          assert.equal(await fields, R.exists, `id ${id} is remembered`);
        }
        await ledger.close();
      });
    }
  }
});
