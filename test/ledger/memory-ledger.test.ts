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
});
