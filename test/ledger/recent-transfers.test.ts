import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentTransfers } from '../../src/ledger/memory/recent-transfers.js';

describe('RecentTransfers', () => {
  it('keeps the newest `capacity` ids, evicting the oldest first', () => {
    const recent = new RecentTransfers<string>(3);
    for (let i = 1n; i <= 5n; i++) recent.add(i, `t${i}`);
    assert.equal(recent.size, 3);
    assert.deepEqual(
      [1n, 2n, 3n, 4n, 5n].map((id) => recent.get(id)),
      [undefined, undefined, 't3', 't4', 't5'],
    );
    recent.add(1n, 'again');
    assert.deepEqual(
      [1n, 3n, 4n, 5n].map((id) => recent.get(id)),
      ['again', undefined, 't4', 't5'],
    );
  });

  it('wraps around its ring many times without growing', () => {
    const recent = new RecentTransfers<number>(7);
    for (let i = 0; i < 1000; i++) recent.add(BigInt(i), i);
    assert.equal(recent.size, 7);
    assert.equal(recent.get(993n), 993);
    assert.equal(recent.get(992n), undefined);
  });

  it('never evicts pending entries; a finished one joins the window', () => {
    const recent = new RecentTransfers<string>(2);
    recent.addPending(1n, 'held');
    for (let i = 2n; i <= 4n; i++) recent.add(i, `t${i}`);
    assert.equal(recent.size, 2, 'pending entries are not counted');
    assert.deepEqual(
      [1n, 2n, 3n, 4n].map((id) => recent.get(id)),
      ['held', undefined, 't3', 't4'],
    );
    recent.finish(1n);
    assert.deepEqual(
      [1n, 3n, 4n].map((id) => recent.get(id)),
      ['held', undefined, 't4'],
    );
    recent.add(5n, 't5');
    assert.deepEqual(
      [1n, 4n].map((id) => recent.get(id)),
      ['held', undefined],
      'the window counts from when an id finished',
    );
    recent.add(6n, 't6');
    assert.equal(recent.get(1n), undefined);
  });

  it('clear forgets everything', () => {
    const recent = new RecentTransfers<number>(2);
    recent.add(1n, 1);
    recent.clear();
    assert.equal(recent.size, 0);
    recent.add(2n, 2);
    recent.add(3n, 3);
    recent.add(4n, 4);
    assert.equal(recent.get(2n), undefined);
    assert.equal(recent.get(4n), 4);
  });
});
