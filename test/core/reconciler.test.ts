/**
 * The Reconciler between two real journal ledgers (the BTP link replaced by a direct call of the
 * peer's `answer`): a recorded hold whose answer was lost is asked about at once, before its
 * expiry; one still in the pipeline is not; the peer answers "pending" for a Prepare it has no
 * fulfillment for until that Prepare's expiry (plus the grace), "unknown" after it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ProtocolData } from '../../src/codec/index.js';
import {
  decodeAnswers,
  decodeQuery,
  encodeMemo,
  encodeQuery,
  encodeTag,
  QUERY_STATUS,
} from '../../src/core/reconcile/codec.js';
import { Reconciler } from '../../src/core/reconcile/reconciler.js';
import type { JournalLedger } from '../../src/ledger/index.js';
import { silentLogger } from '../../src/utils/logger.js';
import { createAccounts, hold, openJournal, tempDir } from '../ledger/journal-helpers.js';

const T0 = 1_800_000_000_000;
const EXPIRES = T0 + 30_000;

function fulfillmentOf(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

function conditionOf(fulfillment: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(fulfillment).digest());
}

function tagFor(n: number, amount: bigint): Uint8Array {
  const out = { condition: conditionOf(fulfillmentOf(n)), expiresAtMs: EXPIRES, amount };
  return encodeTag({
    flags: 0,
    peerId: 'b',
    out,
    sourceId: undefined,
    inExpiresAtMs: EXPIRES,
    inAmount: amount,
  });
}

/** A (the asker) and B (the peer that fulfilled packet 1 only), both at `clock.now`. */
async function pair() {
  const clock = { now: T0 };
  const a = await openJournal(await tempDir());
  const b = await openJournal(await tempDir());
  await createAccounts(a);
  const asked: bigint[][] = [];
  const answerer = new Reconciler({
    ledger: () => b,
    links: { isConnected: () => true, request: () => Promise.reject(new Error('not used')) },
    logger: silentLogger(),
    now: () => clock.now,
  });
  const asker = new Reconciler({
    ledger: () => a,
    links: {
      isConnected: () => true,
      request: async (peerId: string, data: ProtocolData[]) => {
        assert.equal(peerId, 'b');
        asked.push(decodeQuery(data[0]!.data).map((k) => k.amount));
        return answerer.answer('a', data[0]!.data);
      },
    },
    logger: silentLogger(),
    now: () => clock.now,
  });
  const key = { condition: conditionOf(fulfillmentOf(1)), expiresAtMs: EXPIRES, amount: 10n };
  b.memo(EXPIRES + 600_000, encodeMemo({ peerId: 'a', key, fulfillment: fulfillmentOf(1) }));
  return { clock, a, b, asker, asked, answerer };
}

async function closeAll(...ledgers: JournalLedger[]): Promise<void> {
  for (const l of ledgers) await l.close();
}

describe('Reconciler: packets whose answer was lost', () => {
  it('asks at once, books the proven fulfillment, and waits on "pending" until the expiry', async () => {
    const { clock, a, b, asker, asked } = await pair();
    assert.equal(await a.holdInFlight(hold(1n, 10n), tagFor(1, 10n)), 'ok');
    assert.equal(await a.holdInFlight(hold(2n, 20n), tagFor(2, 20n)), 'ok');
    assert.equal(await a.holdInFlight(hold(3n, 30n), tagFor(3, 30n)), 'ok');
    // 1 and 2 lost their answer (a closed link); 3 is still in the pipeline.
    a.voidNow(1n);
    a.voidNow(2n);

    await asker.tick();
    assert.deepEqual(asked, [[10n, 20n]], 'only the packets whose answer was lost, before their expiry');
    assert.equal((await a.getBalance('peer:a'))?.debitsPosted, 10n, 'the fulfilled one is booked');
    assert.deepEqual(
      a.openInFlight().map((h) => h.id),
      [2n, 3n],
      'B may still fulfill 2 before its expiry: it stays open',
    );

    clock.now = EXPIRES + 1_001;
    a.voidNow(3n); // its own answer came, a reject: settled
    a.settleInFlight(3n);
    await asker.tick();
    assert.deepEqual(asked[1], [20n]);
    assert.deepEqual(a.openInFlight(), [], 'after the expiry B says unknown: settled (voided)');
    assert.equal((await a.getBalance('peer:a'))?.debitsPosted, 10n);
    await closeAll(a, b);
  });

  it('refuses a fulfillment that does not match the stored condition', async () => {
    const { a, b, asker } = await pair();
    // B claims a fulfillment for a packet of condition 7 that is not its preimage.
    const out = { condition: conditionOf(fulfillmentOf(7)), expiresAtMs: EXPIRES, amount: 10n };
    const tag = encodeTag({
      flags: 0,
      peerId: 'b',
      out,
      sourceId: undefined,
      inExpiresAtMs: EXPIRES,
      inAmount: 10n,
    });
    b.memo(EXPIRES + 600_000, encodeMemo({ peerId: 'a', key: out, fulfillment: fulfillmentOf(1) }));
    await a.holdInFlight(hold(5n, 10n), tag);
    a.voidNow(5n);
    await asker.tick();
    assert.equal((await a.getBalance('peer:a'))?.debitsPosted, 0n);
    assert.deepEqual(
      a.openInFlight().map((h) => h.id),
      [5n],
    );
    await closeAll(a, b);
  });
});

describe('Reconciler: a forwarder asked by its upstream peer', () => {
  it('answers "pending" while it asks, "fulfilled" from the moment it books what it found, never "unknown"', async () => {
    const { clock, a, b, answerer } = await pair();
    // Packet 1 came from upstream peer s (expiry and amount as s sent it), went on to b and its
    // answer was lost; b holds the fulfillment.
    const out = { condition: conditionOf(fulfillmentOf(1)), expiresAtMs: EXPIRES, amount: 10n };
    const upstream = { condition: out.condition, expiresAtMs: EXPIRES + 1_000, amount: 11n };
    const tag = encodeTag({
      flags: 0,
      peerId: 'b',
      out,
      sourceId: 's',
      inExpiresAtMs: upstream.expiresAtMs,
      inAmount: upstream.amount,
    });
    assert.equal(await a.holdInFlight(hold(1n, 10n), tag), 'ok');
    a.voidNow(1n);
    // The booking is durable in the ledger; the step after it (the memo for s) waits for `release`.
    let booked!: () => void;
    const bookedNow = new Promise<void>((resolve) => {
      booked = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gated = new Proxy(a, {
      get(target, prop) {
        if (prop === 'reconcileInFlight') {
          return async (id: bigint) => {
            const result = await target.reconcileInFlight(id);
            booked();
            await released;
            return result;
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const forwarder = new Reconciler({
      ledger: () => gated,
      links: {
        isConnected: () => true,
        request: async (_peerId: string, data: ProtocolData[]) => answerer.answer('a', data[0]!.data),
      },
      logger: silentLogger(),
      now: () => clock.now,
    });
    clock.now = upstream.expiresAtMs + 1_001; // s asks once its Prepare can no longer be fulfilled
    const ask = (): number => {
      const reply = forwarder.answer('s', encodeQuery([upstream]));
      return decodeAnswers(reply[0]!.data, 1)[0]!.status;
    };
    assert.equal(ask(), QUERY_STATUS.pending, 'still reconciling with b');

    const ticking = forwarder.tick();
    await bookedNow;
    assert.deepEqual(a.openInFlight(), [], 'the ledger took the record off the open list');
    // The memo is written before the booking: the answer is already the proof, never "unknown".
    assert.equal(ask(), QUERY_STATUS.fulfilled, 'booked: "fulfilled", not "unknown"');
    release();
    await ticking;
    assert.equal(ask(), QUERY_STATUS.fulfilled);
    assert.equal((await a.getBalance('peer:a'))?.debitsPosted, 10n);
    await closeAll(a, b);
  });
});
