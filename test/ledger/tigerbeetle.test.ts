/**
 * The TigerBeetle backend. No TigerBeetle server runs on our machines, so the conformance suite
 * runs against an in-memory test double of the client (test/helpers/fake-tigerbeetle.ts), and
 * against a real cluster only where TIGERBEETLE_TEST_REPLICAS says where one is.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  AccountFlags,
  CreateAccountError,
  CreateTransferError,
  TransferFlags,
} from 'tigerbeetle-node/dist/bindings.js';
import { type Ledger, TRANSFER_RESULT as R, TigerBeetleLedger } from '../../src/ledger/index.js';
import { ACCOUNT_FLAGS, TB, TB_ACCOUNT, TRANSFER_FLAGS } from '../../src/ledger/tigerbeetle/client.js';
import { silentLogger } from '../../src/utils/logger.js';
import { FakeTigerBeetle, type FakeTigerBeetleOptions } from '../helpers/fake-tigerbeetle.js';
import { ManualClock, runLedgerConformance } from './conformance.js';
import { registerExpiryTests, registerVoidExpiredTests } from './conformance-lifecycle.js';

const logger = silentLogger();

/** A ledger on a fake cluster; the background sweep runs on real time, so keep it out of the way. */
function onFake(clock?: ManualClock, fake?: FakeTigerBeetle, extra: { maxBatch?: number } = {}) {
  const now = clock === undefined ? Date.now : () => clock.now();
  const client = fake ?? new FakeTigerBeetle({ now });
  return new TigerBeetleLedger({
    clusterId: 0n,
    replicaAddresses: ['fake'],
    logger,
    client,
    now,
    sweepIntervalMs: 60_000,
    ...extra,
  });
}

// Without the clock: TigerBeetle voids expired holds on its own (in whole seconds), which the
// model-based test's reference model, expiring lazily, cannot follow. The clock-driven groups run below.
runLedgerConformance('tigerbeetle, on the in-memory FAKE TigerBeetle client', () => onFake());

describe('ledger conformance: tigerbeetle, on the in-memory FAKE TigerBeetle client, clock-driven groups', () => {
  const clock = new ManualClock();
  registerExpiryTests(() => onFake(clock), { clock });
  registerVoidExpiredTests(() => onFake(clock), { clock });
});

const replicas = process.env.TIGERBEETLE_TEST_REPLICAS;
if (replicas !== undefined && replicas !== '') {
  const clusterId = BigInt(process.env.TIGERBEETLE_TEST_CLUSTER_ID ?? '0');
  const make = () =>
    new TigerBeetleLedger({
      clusterId,
      replicaAddresses: replicas.split(','),
      logger,
      sweepIntervalMs: 60_000,
    });
  runLedgerConformance(`tigerbeetle, on the real cluster ${clusterId} at ${replicas}`, make, {
    modelRuns: 25,
  });
} else {
  describe('ledger conformance: tigerbeetle, on a real cluster', () => {
    const skip = 'no TigerBeetle server reachable: set TIGERBEETLE_TEST_REPLICAS=3000 to run';
    it('runs the whole suite against a real TigerBeetle cluster', { skip }, () => {});
  });
}

const hold = (id: number, amount = 1n, from = 'peer:a', to = 'peer:b') => ({
  id: BigInt(id),
  debitAccount: from,
  creditAccount: to,
  amount,
  timeoutMs: 30_000,
});

async function opened(ledger: TigerBeetleLedger, ...limited: [string, { debitLimit?: bigint }][]) {
  await ledger.open();
  for (const [name, options] of limited) await ledger.createAccount(name, options);
  return ledger;
}

describe('TigerBeetleLedger batching', () => {
  it('sends N concurrent holds as one createTransfers request, and their posts as one more', async () => {
    const fake = new FakeTigerBeetle();
    const ledger = await opened(onFake(undefined, fake), ['peer:a', {}], ['peer:b', {}]);
    const before = fake.calls.createTransfers;
    const ids = Array.from({ length: 500 }, (_, i) => i + 1);
    assert.deepEqual(new Set(await Promise.all(ids.map((i) => ledger.hold(hold(i))))), new Set([R.ok]));
    assert.equal(fake.calls.createTransfers - before, 1);
    assert.equal(fake.transferBatchSizes.at(-1), 500 * 3, 'a transfer and two mirror legs each');
    assert.deepEqual(new Set(await Promise.all(ids.map((i) => ledger.post(BigInt(i))))), new Set([R.ok]));
    assert.equal(fake.calls.createTransfers - before, 2);
    assert.deepEqual(await ledger.getBalance('peer:a'), {
      debitsPending: 0n,
      debitsPosted: 500n,
      creditsPending: 0n,
      creditsPosted: 0n,
    });
    await ledger.close();
  });

  it('splits a batch at maxBatch, never inside a chain', async () => {
    const fake = new FakeTigerBeetle();
    const ledger = await opened(onFake(undefined, fake, { maxBatch: 10 }), ['peer:a', {}], ['peer:b', {}]);
    const before = fake.calls.createTransfers;
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => ledger.hold(hold(i))));
    assert.deepEqual(fake.transferBatchSizes.slice(before), [9, 9, 3]);
    await ledger.close();
  });
});

describe('TigerBeetleLedger limits are enforced by TigerBeetle', () => {
  it('two instances on one cluster cannot together exceed a debit limit', async () => {
    const fake = new FakeTigerBeetle();
    const limits: [string, { debitLimit?: bigint }][] = [
      ['peer:a', { debitLimit: 100n }],
      ['peer:b', {}],
    ];
    const one = await opened(onFake(undefined, fake), ...limits);
    const two = await opened(onFake(undefined, fake), ...limits);
    const results = await Promise.all([one.hold(hold(1, 60n)), two.hold(hold(2, 60n))]);
    assert.deepEqual(results.sort(), [R.exceedsDebitLimit, R.ok]);
    await one.close();
    await two.close();
  });

  it('refuses limits it cannot enforce: at or above 2^126, or once a mirror stopped following', async () => {
    const ledger = await opened(onFake(), ['peer:a', {}], ['peer:b', {}]);
    const invalid = (e: unknown) => (e as { code?: string }).code === 'ERR_INVALID_ARGUMENT';
    await assert.rejects(ledger.setLimits('peer:a', { debitLimit: 1n << 126n }), invalid);
    const big = { id: 1n, debitAccount: 'peer:a', creditAccount: 'peer:b', amount: 1n << 127n };
    assert.equal(
      await ledger.transfer(big),
      R.ok,
      'no limit: the mirror saturates, the transfer goes through',
    );
    await assert.rejects(ledger.setLimits('peer:a', { debitLimit: 10n }), invalid);
    await assert.rejects(ledger.setLimits('peer:b', { creditLimit: 10n }), invalid);
    await ledger.setLimits('peer:a', {});
    await ledger.close();
  });
});

describe('TigerBeetleLedger across instances and restarts', () => {
  it('finds balances again, and posts a hold another instance made', async () => {
    const fake = new FakeTigerBeetle();
    const first = await opened(onFake(undefined, fake), ['peer:a', {}], ['peer:b', {}]);
    assert.equal(await first.hold(hold(7, 5n)), R.ok);
    await first.close();
    const second = await opened(onFake(undefined, fake), ['peer:a', {}], ['peer:b', {}]);
    assert.equal((await second.getBalance('peer:a'))?.debitsPending, 5n);
    assert.equal(await second.post(7n), R.ok);
    assert.equal(await second.post(7n), R.pendingAlreadyPosted);
    assert.equal((await second.getBalance('peer:b'))?.creditsPosted, 5n);
    await second.close();
  });

  it("TigerBeetle's own timeout voids a hold whose instance is gone", async () => {
    const clock = new ManualClock();
    const fake = new FakeTigerBeetle({ now: () => clock.now() });
    const first = await opened(onFake(clock, fake), ['peer:a', { debitLimit: 5n }], ['peer:b', {}]);
    assert.equal(await first.hold({ ...hold(1, 5n), timeoutMs: 1500 }), R.ok);
    await first.close();
    // 1500 ms is 2 s for TigerBeetle, counted from the hold's own timestamp (a few ns after now).
    clock.advance(2001);
    const second = await opened(onFake(clock, fake), ['peer:a', { debitLimit: 5n }], ['peer:b', {}]);
    assert.equal((await second.getBalance('peer:a'))?.debitsPending, 0n);
    assert.equal(await second.hold(hold(2, 5n)), R.ok, 'the limit is free again');
    assert.equal(await second.post(1n), R.pendingExpired);
    await second.close();
  });
});

describe('TigerBeetleLedger client handling', () => {
  it('reads the 0.17 result shape (every event, with a status) as well as the 0.16 one', async () => {
    const fake = new FakeTigerBeetle({ resultShape: 'dense' } satisfies FakeTigerBeetleOptions);
    const ledger: Ledger = await opened(
      onFake(undefined, fake),
      ['peer:a', { debitLimit: 3n }],
      ['peer:b', {}],
    );
    assert.equal(await ledger.hold(hold(1, 3n)), R.ok);
    assert.equal(await ledger.hold(hold(2, 1n)), R.exceedsDebitLimit);
    assert.equal(await ledger.hold(hold(1, 3n)), R.exists);
    assert.equal(await ledger.void(1n), R.ok);
    assert.equal(await ledger.hold(hold(2, 1n)), R.ok);
    await ledger.close();
  });

  it('rejects open() with ERR_LEDGER when the cluster does not answer within connectTimeoutMs', async () => {
    const fake = new FakeTigerBeetle({ unreachable: true });
    const ledger = new TigerBeetleLedger({
      clusterId: 7n,
      replicaAddresses: ['127.0.0.1:1'],
      logger,
      client: fake,
      connectTimeoutMs: 50,
    });
    const started = performance.now();
    await assert.rejects(ledger.open(), (e: unknown) => {
      const { code, message } = e as { code: string; message: string };
      assert.equal(code, 'ERR_LEDGER');
      assert.match(message, /cannot reach TigerBeetle cluster 7 at 127\.0\.0\.1:1: no answer within 50 ms/);
      return true;
    });
    assert.ok(performance.now() - started < 1000);
    await ledger.close();
  });

  it("uses tigerbeetle-node's own flag and result numbers", () => {
    for (const [name, value] of Object.entries(TB)) {
      const key = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      assert.equal(CreateTransferError[key as keyof typeof CreateTransferError], value, name);
    }
    assert.equal(TB_ACCOUNT.exists, CreateAccountError.exists);
    assert.equal(ACCOUNT_FLAGS.debitsMustNotExceedCredits, AccountFlags.debits_must_not_exceed_credits);
    assert.equal(ACCOUNT_FLAGS.creditsMustNotExceedDebits, AccountFlags.credits_must_not_exceed_debits);
    const transferFlags = {
      linked: TransferFlags.linked,
      pending: TransferFlags.pending,
      postPending: TransferFlags.post_pending_transfer,
      voidPending: TransferFlags.void_pending_transfer,
      balancingDebit: TransferFlags.balancing_debit,
      balancingCredit: TransferFlags.balancing_credit,
    };
    assert.deepEqual({ ...TRANSFER_FLAGS }, transferFlags);
  });

  it('refuses options out of bounds', () => {
    const base = { clusterId: 0n, replicaAddresses: ['3000'], logger };
    for (const bad of [
      { maxBatch: 0 },
      { maxBatch: 8190 },
      { ledger: 0 },
      { code: 65_536 },
      { replicaAddresses: [] },
    ]) {
      assert.throws(() => new TigerBeetleLedger({ ...base, ...bad }), { code: 'ERR_INVALID_ARGUMENT' });
    }
  });
});

/** Runs a compiled script in a child process; resolves with its output, or after `killAfterMs` kills it. */
function runChild(script: string, args: string[], killAfterMs: number) {
  return new Promise<{ stdout: string; code: number | null; killed: boolean; ms: number }>((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, killAfterMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ stdout, code, killed, ms: performance.now() - started });
    });
  });
}

describe('TigerBeetleLedger with the real tigerbeetle-node client', () => {
  it('open() against a closed port rejects with ERR_LEDGER within connectTimeoutMs; the process then exits', async (t) => {
    const script = fileURLToPath(new URL('./tigerbeetle-unreachable.js', import.meta.url));
    const run = await runChild(script, ['500'], 20_000);
    assert.equal(
      run.killed,
      false,
      'the child was still running 20 s later: the native client kept it alive',
    );
    assert.equal(run.code, 0);
    const outcome = JSON.parse(run.stdout.trim()) as {
      opened: boolean;
      code?: string;
      message?: string;
      elapsedMs?: number;
    };
    if (outcome.message?.includes('could not be loaded')) {
      t.skip(`the native tigerbeetle-node client cannot load on this machine: ${outcome.message}`);
      return;
    }
    assert.equal(outcome.opened, false);
    assert.equal(outcome.code, 'ERR_LEDGER');
    assert.match(
      outcome.message ?? '',
      /^cannot reach TigerBeetle cluster 0 at 127\.0\.0\.1:\d+: no answer within 500 ms$/,
    );
    assert.ok(
      outcome.elapsedMs! >= 490 && outcome.elapsedMs! < 1500,
      `rejected after ${outcome.elapsedMs} ms`,
    );
  });
});
