/** BalanceWatch with a hand-driven clock: which peers are checked, when, and what is an event. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BalanceWatch } from '../../../src/http/explorer/balance-watch.js';
import type { NodeEvent, PeerAccountBalance } from '../../../src/types/index.js';
import { balance } from './harness.js';

const packet = (peerId: string, to?: string): NodeEvent => ({
  id: 0,
  ts: 0,
  type: 'packet.fulfilled',
  peerId,
  ...(to === undefined ? {} : { data: { to } }),
});

function watch(initial: PeerAccountBalance[]) {
  const state = { list: initial, reads: 0 };
  const w = new BalanceWatch(async () => {
    state.reads++;
    return state.list;
  }, 1000);
  return { w, state };
}

it('reports a posted change once, for the peers seen in packets (source and next hop)', async () => {
  const { w, state } = watch([balance('alice', 10n, 0n), balance('bob', 0n, 10n), balance('carol', 0n, 0n)]);
  await w.prime();
  state.list = [balance('alice', 20n, 0n), balance('bob', 0n, 20n), balance('carol', 5n, 0n)];
  const events = await w.check([packet('alice', 'bob')], 10_000);
  assert.deepEqual(
    events.map((e) => [e.type, e.peerId, e.amount, e.ts]),
    [
      ['balance.changed', 'alice', '-20', 10_000],
      ['balance.changed', 'bob', '20', 10_000],
    ],
    'carol changed but was in no packet',
  );
  assert.deepEqual(await w.check([packet('alice', 'bob')], 20_000), [], 'no change, no event');
});

it('checks a peer at most once per interval, and reports the last change of a burst', async () => {
  const { w, state } = watch([balance('alice', 0n, 0n)]);
  await w.prime();
  state.list = [balance('alice', 1n, 0n)];
  assert.equal((await w.check([packet('alice')], 10_000)).length, 1);
  state.list = [balance('alice', 2n, 0n)];
  const reads = state.reads;
  assert.deepEqual(await w.check([packet('alice')], 10_400), [], 'within the interval');
  assert.equal(state.reads, reads, 'the ledger is not even asked');
  state.list = [balance('alice', 3n, 0n)];
  const later = await w.check([], 11_000);
  assert.deepEqual(
    later.map((e) => e.amount),
    ['-3'],
    'still marked: checked once due, with no new packet',
  );
  assert.deepEqual(await w.check([], 12_000), [], 'the mark is spent');
});

it('ignores pending-only changes, non-packet events and local delivery, and forgets removed peers', async () => {
  const { w, state } = watch([balance('alice', 0n, 0n)]);
  await w.prime();
  state.list = [{ ...balance('alice', 0n, 0n), pendingDebit: 50n }];
  assert.deepEqual(await w.check([packet('alice', 'local')], 10_000), []);
  state.list = [balance('alice', 9n, 0n)];
  assert.deepEqual(await w.check([{ id: 0, ts: 0, type: 'peer.connected', peerId: 'alice' }], 20_000), []);
  state.list = [];
  assert.deepEqual(await w.check([packet('alice')], 30_000), [], 'a peer gone is no event');
  state.list = [balance('alice', 9n, 0n)];
  assert.equal((await w.check([packet('alice')], 40_000)).length, 1, 'back, compared with zero');
});
