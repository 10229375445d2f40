/**
 * reserveBalance in isolation, on both of its paths: a ledger that answers without promises
 * (SyncTransfers: the memory ledger, and a journal-like one whose posts wait for the disk) and
 * one that only offers the Promise methods.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Next, PacketContext, PipelineServices, Reply } from '../../../src/core/context.js';
import { PeerRegistry } from '../../../src/core/peers.js';
import { reserveBalance } from '../../../src/core/stages/reserve-balance.js';
import { type Ledger, MemoryLedger, type SyncTransfers } from '../../../src/ledger/index.js';
import { silentLogger } from '../../../src/utils/logger.js';

const FULFILL: Reply = { type: 13, fulfillment: new Uint8Array(32), data: new Uint8Array(0) };
const REJECT: Reply = { type: 14, code: 'F99', triggeredBy: 'g.next', message: '', data: new Uint8Array(0) };

/** The Promise methods of a MemoryLedger and nothing else: what a remote backend offers. */
function asyncOnly(ledger: MemoryLedger): Ledger {
  return {
    name: 'async',
    open: () => ledger.open(),
    close: () => ledger.close(),
    createAccount: (id, options) => ledger.createAccount(id, options),
    setLimits: (id, options) => ledger.setLimits(id, options),
    hasAccount: (id) => ledger.hasAccount(id),
    hold: (t) => ledger.hold(t),
    post: (id) => ledger.post(id),
    void: (id) => ledger.void(id),
    transfer: (t) => ledger.transfer(t),
    getBalance: (id) => ledger.getBalance(id),
    listAccounts: () => ledger.listAccounts(),
    voidExpired: (nowMs) => ledger.voidExpired(nowMs),
  };
}

/** SyncTransfers whose posts resolve later, as the journal ledger's do when durability waits for the disk. */
function durablePosts(ledger: MemoryLedger): Ledger & SyncTransfers {
  const base = asyncOnly(ledger);
  return {
    ...base,
    holdNow: (t) => ledger.holdNow(t),
    postNow: (id) => new Promise((resolve) => setImmediate(() => resolve(ledger.postNow(id)))),
    voidNow: (id) => ledger.voidNow(id),
  };
}

type Kind = 'synchronous' | 'durable-post' | 'Promise-only';

interface Fixture {
  memory: MemoryLedger;
  stage: (next: Next) => Promise<Reply> | Reply;
}

async function fixture(kind: Kind): Promise<Fixture> {
  const memory = new MemoryLedger();
  await memory.open();
  await memory.createAccount('peer:a', { debitLimit: 1500n });
  await memory.createAccount('peer:b');
  const peers = new PeerRegistry();
  const settings = { authToken: '', relation: 'peer' as const, assetCode: 'USD', assetScale: 9 };
  const source = peers.add({ id: 'a', ...settings }, 0);
  const nextHop = peers.add({ id: 'b', ...settings }, 0);
  let id = 0n;
  const services = {
    address: () => 'g.me',
    now: Date.now,
    minMessageWindowMs: 1000,
    maxHoldTimeMs: 30_000,
    ledger:
      kind === 'synchronous' ? memory : kind === 'durable-post' ? durablePosts(memory) : asyncOnly(memory),
    nextTransferId: () => ++id,
    logger: silentLogger(),
  } as unknown as PipelineServices;
  const stage = reserveBalance(services);
  const now = Date.now();
  const ctx = (): PacketContext => ({
    source,
    raw: new Uint8Array(0),
    prepare: {
      type: 12,
      amount: 1000n,
      expiresAt: new Date(now + 10_000),
      executionCondition: new Uint8Array(32),
      destination: 'g.b',
      data: new Uint8Array(0),
    },
    receivedAtMs: now,
    originAccount: undefined,
    nextHop,
    local: false,
    outgoingAmount: 1000n,
    outgoingExpiryMs: now + 9000,
    unanswered: false,
  });
  return { memory, stage: (next) => stage(ctx(), next) };
}

async function balances(memory: MemoryLedger): Promise<[bigint, bigint]> {
  const a = await memory.getBalance('peer:a');
  return [a!.debitsPending, a!.debitsPosted];
}

for (const kind of ['synchronous', 'durable-post', 'Promise-only'] as const) {
  describe(`reserveBalance with a ${kind} ledger`, () => {
    it('holds before going on and posts on Fulfill', async () => {
      const { memory, stage } = await fixture(kind);
      let pendingSeen: bigint | undefined;
      const reply = await stage(async () => {
        [pendingSeen] = await balances(memory);
        return FULFILL;
      });
      assert.equal(reply, FULFILL);
      assert.equal(pendingSeen, 1000n);
      assert.deepEqual(await balances(memory), [0n, 1000n]);
    });

    it('voids on Reject, from a synchronous or an async next stage', async () => {
      const { memory, stage } = await fixture(kind);
      assert.equal(await stage(() => REJECT), REJECT);
      assert.equal(await stage(async () => REJECT), REJECT);
      assert.deepEqual(await balances(memory), [0n, 0n]);
    });

    it('voids when the next stage throws or rejects, and passes the error on', async () => {
      const { memory, stage } = await fixture(kind);
      const boom = new Error('boom');
      await assert.rejects(
        async () =>
          stage(() => {
            throw boom;
          }),
        boom,
      );
      await assert.rejects(async () => stage(() => Promise.reject(boom)), boom);
      assert.deepEqual(await balances(memory), [0n, 0n]);
    });

    it('T04 beyond the debit limit, without calling the next stage', async () => {
      const { memory, stage } = await fixture(kind);
      assert.equal(await stage(() => FULFILL), FULFILL);
      const reply = await stage(() => assert.fail('must not be called'));
      assert.equal(reply.type === 14 && reply.code, 'T04');
      assert.deepEqual(await balances(memory), [0n, 1000n]);
    });

    it('T00 instead of a Fulfill it could not book', async () => {
      const { memory, stage } = await fixture(kind);
      const reply = await stage(async () => {
        await memory.void(1n); // the hold is gone before the Fulfill comes back
        return FULFILL;
      });
      assert.equal(reply.type === 14 && reply.code, 'T00');
      assert.deepEqual(await balances(memory), [0n, 0n]);
    });
  });
}
