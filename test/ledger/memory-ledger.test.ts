import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLedger, TRANSFER_RESULT as R } from '../../src/ledger/index.js';
import { ConnectorError } from '../../src/utils/errors.js';
import { ManualClock, runLedgerConformance } from './conformance.js';

const clock = new ManualClock();
// The background sweep runs on real time; keep it at its slowest so it never races the suite's
// manual clock (it is tested on its own below, with mocked timers).
runLedgerConformance('memory', () => new MemoryLedger({ now: () => clock.now(), sweepIntervalMs: 60_000 }), {
  clock,
});

const t = (id: bigint) => ({ id, debitAccount: 'peer:p', creditAccount: 'peer:n', amount: 1n });

async function openLedger(
  options: ConstructorParameters<typeof MemoryLedger>[0] = {},
): Promise<MemoryLedger> {
  const ledger = new MemoryLedger(options);
  await ledger.open();
  await ledger.createAccount('peer:p');
  await ledger.createAccount('peer:n');
  return ledger;
}

describe('MemoryLedger', () => {
  it('is named memory', () => {
    assert.equal(new MemoryLedger().name, 'memory');
  });

  it('refuses options out of bounds', () => {
    const invalid = (e: unknown) => e instanceof ConnectorError && e.code === 'ERR_INVALID_ARGUMENT';
    for (const sweepIntervalMs of [0, 1.5, 60_001])
      assert.throws(() => new MemoryLedger({ sweepIntervalMs }), invalid);
    for (const maxRememberedTransfers of [0, -1, 100_000_001]) {
      assert.throws(() => new MemoryLedger({ maxRememberedTransfers }), invalid);
    }
  });

  it('remembers finished ids only within maxRememberedTransfers', async () => {
    const ledger = await openLedger({ maxRememberedTransfers: 2 });
    for (const id of [1n, 2n, 3n]) assert.equal(await ledger.transfer(t(id)), R.ok);
    assert.equal(ledger.rememberedCount, 2);
    assert.equal(await ledger.transfer(t(3n)), R.exists);
    assert.equal(await ledger.transfer(t(1n)), R.ok, 'forgotten: accepted again (documented window)');
    assert.equal(await ledger.post(2n), R.pendingNotFound, 'evicted by the re-use of 1');
    await ledger.close();
  });

  it('never evicts pending holds from the idempotency window', async () => {
    const ledger = await openLedger({ maxRememberedTransfers: 1 });
    for (const id of [1n, 2n, 3n]) assert.equal(await ledger.hold({ ...t(id), timeoutMs: 60_000 }), R.ok);
    for (const id of [4n, 5n]) assert.equal(await ledger.transfer(t(id)), R.ok);
    assert.equal(ledger.pendingCount, 3);
    assert.equal(await ledger.hold({ ...t(1n), timeoutMs: 60_000 }), R.exists);
    for (const id of [1n, 2n, 3n]) assert.equal(await ledger.post(id), R.ok);
    assert.equal(ledger.rememberedCount, 1);
    await ledger.close();
  });

  it('answers hold, post and void synchronously as the Promise methods do', async () => {
    const ledger = await openLedger();
    assert.equal(ledger.holdNow({ ...t(1n), timeoutMs: 60_000 }), R.ok);
    assert.equal(ledger.holdNow({ ...t(1n), timeoutMs: 60_000 }), R.exists);
    assert.equal(ledger.holdNow({ ...t(2n), timeoutMs: 60_000 }), R.ok);
    assert.equal(ledger.pendingCount, 2);
    assert.equal(ledger.postNow(1n), R.ok);
    assert.equal(ledger.voidNow(2n), R.ok);
    assert.equal(ledger.postNow(1n), R.pendingAlreadyPosted);
    assert.equal(ledger.postNow(2n), R.pendingAlreadyVoided);
    assert.equal(ledger.voidNow(3n), R.pendingNotFound);
    assert.equal(ledger.pendingCount, 0);
    assert.equal(ledger.rememberedCount, 2);
    const invalid = (e: unknown) => e instanceof ConnectorError && e.code === 'ERR_INVALID_ARGUMENT';
    assert.throws(() => ledger.holdNow({ ...t(0n), timeoutMs: 1 }), invalid);
    assert.throws(() => ledger.holdNow({ ...t(4n), timeoutMs: 0 }), invalid);
    assert.throws(() => ledger.postNow(0n), invalid);
    await ledger.close();
    const closed = (e: unknown) => e instanceof ConnectorError && e.code === 'ERR_LEDGER';
    assert.throws(() => ledger.holdNow({ ...t(5n), timeoutMs: 1 }), closed);
    assert.throws(() => ledger.voidNow(1n), closed);
  });

  it('expires holds in any order of their timeouts', async () => {
    const manual = new ManualClock();
    const ledger = await openLedger({ now: () => manual.now() });
    for (const [id, timeoutMs] of [
      [1n, 300],
      [2n, 100],
      [3n, 200],
      [4n, 400],
    ] as const) {
      assert.equal(ledger.holdNow({ ...t(id), timeoutMs }), R.ok);
    }
    assert.equal(ledger.postNow(3n), R.ok);
    manual.advance(300);
    assert.equal(await ledger.voidExpired(), 2, 'holds 1 and 2; 3 was posted, 4 is not due');
    assert.equal(ledger.pendingCount, 1);
    assert.deepEqual(await Promise.all([1n, 2n, 4n].map((id) => ledger.post(id))), [
      R.pendingExpired,
      R.pendingExpired,
      R.ok,
    ]);
    assert.equal(ledger.pendingCount, 0);
    await ledger.close();
  });

  it('voids expired holds in the background on its sweep interval', async (ctx) => {
    ctx.mock.timers.enable({ apis: ['setInterval'] });
    const manual = new ManualClock();
    const ledger = await openLedger({ now: () => manual.now(), sweepIntervalMs: 500 });
    assert.equal(await ledger.hold({ ...t(1n), timeoutMs: 1000 }), R.ok);
    manual.advance(1000);
    assert.equal(ledger.pendingCount, 1, 'nothing happens before the sweep');
    ctx.mock.timers.tick(500);
    assert.equal(ledger.pendingCount, 0);
    assert.deepEqual(await ledger.getBalance('peer:p'), {
      debitsPending: 0n,
      debitsPosted: 0n,
      creditsPending: 0n,
      creditsPosted: 0n,
    });
    await ledger.close();
    ctx.mock.timers.tick(5000);
  });

  it('its sweep timer does not keep the process alive', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const ledger = await openLedger();
    assert.equal(timers(), before);
    await ledger.close();
  });

  it('postNowRecord answers the posted hold itself, and refusals as results', async () => {
    const ledger = await openLedger();
    assert.equal(ledger.holdNow({ ...t(1n), amount: 7n, timeoutMs: 60_000 }), R.ok);
    const posted = ledger.postNowRecord(1n);
    assert.equal(typeof posted, 'object');
    const { id, debitAccount, creditAccount, amount, timeoutMs } = posted as Exclude<typeof posted, string>;
    assert.deepEqual(
      { id, debitAccount, creditAccount, amount, timeoutMs },
      { id: 1n, debitAccount: 'peer:p', creditAccount: 'peer:n', amount: 7n, timeoutMs: 60_000 },
    );
    assert.equal(ledger.postNowRecord(1n), R.pendingAlreadyPosted);
    assert.equal(ledger.postNowRecord(2n), R.pendingNotFound);
    assert.equal(ledger.transferNow(t(3n)), R.ok);
    assert.equal(ledger.transferNow(t(3n)), R.exists);
    assert.throws(() => ledger.transferNow(t(0n)), ConnectorError);
    await ledger.close();
    assert.throws(() => ledger.postNowRecord(1n), ConnectorError);
  });

  it('exports its posted state and restores it into an empty ledger', async () => {
    const ledger = await openLedger({ maxRememberedTransfers: 3 });
    await ledger.setLimits('peer:p', { debitLimit: 100n });
    assert.equal(await ledger.transfer(t(1n)), R.ok);
    for (const id of [2n, 3n, 4n])
      assert.equal(ledger.holdNow({ ...t(id), amount: 5n, timeoutMs: 60_000 }), R.ok);
    assert.equal(ledger.postNow(2n), R.ok);
    assert.equal(ledger.voidNow(3n), R.ok);
    const state = ledger.exportState();
    // Hold 4 is pending (not posted state); void 3 is in the window but posted nothing.
    assert.deepEqual(
      state.accounts.map((a) => ({ ...a })),
      [
        { id: 'peer:p', debitLimit: 100n, creditLimit: undefined, debitsPosted: 6n, creditsPosted: 0n },
        { id: 'peer:n', debitLimit: undefined, creditLimit: undefined, debitsPosted: 0n, creditsPosted: 6n },
      ],
    );
    assert.deepEqual(
      state.recent.map((p) => [p.id, p.amount, p.timeoutMs]),
      [
        [1n, 1n, 0],
        [2n, 5n, 60_000],
      ],
    );
    const copy = new MemoryLedger({ maxRememberedTransfers: 3 });
    await copy.open();
    copy.restore(state);
    assert.deepEqual(await copy.getBalance('peer:p'), {
      debitsPending: 0n,
      debitsPosted: 6n,
      creditsPending: 0n,
      creditsPosted: 0n,
    });
    assert.equal(await copy.transfer(t(1n)), R.exists);
    assert.equal(await copy.hold({ ...t(2n), amount: 5n, timeoutMs: 60_000 }), R.exists);
    assert.equal(await copy.post(2n), R.pendingAlreadyPosted);
    assert.equal(
      await copy.hold({ ...t(5n), amount: 95n, timeoutMs: 60_000 }),
      R.exceedsDebitLimit,
      'limits kept',
    );
    const invalid = (e: unknown) => e instanceof ConnectorError && e.code === 'ERR_INVALID_ARGUMENT';
    assert.throws(() => copy.restore(state), invalid, 'not empty');
    const other = new MemoryLedger();
    await other.open();
    assert.throws(() => other.restore({ accounts: [], recent: state.recent }), invalid, 'unknown account');
    await Promise.all([ledger.close(), copy.close(), other.close()]);
  });
});
