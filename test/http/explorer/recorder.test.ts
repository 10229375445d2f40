/**
 * The Explorer's recorder: every packet counted, up to the rate kept as events and spread evenly
 * above it, bounded memory between drains, percentiles from the histogram. An injected clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IlpPrepare, IlpReply } from '../../../src/codec/index.js';
import { EventRecorder } from '../../../src/http/explorer/recorder.js';

const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);

function prepare(n: number): IlpPrepare {
  return {
    type: 12,
    destination: `g.bob.${n}`,
    amount: BigInt(n),
    executionCondition: new Uint8Array(32).fill(n % 256),
    expiresAt: new Date(T0 + 30_000),
    data: new Uint8Array(0),
  };
}

const FULFILL: IlpReply = { type: 13, fulfillment: new Uint8Array(32).fill(1), data: new Uint8Array(0) };
const reject = (code: string): IlpReply => ({
  type: 14,
  code,
  triggeredBy: 'g.me',
  message: `no ${code}`,
  data: new Uint8Array(0),
});

function clock() {
  let now = T0;
  return { now: () => now, set: (ms: number) => (now = ms) };
}

describe('EventRecorder', () => {
  it('keeps every packet below the rate as an event with its outcome, path and amounts', () => {
    const c = clock();
    const r = new EventRecorder({ now: c.now });
    r.packet('alice', 'bob', false, prepare(7), FULFILL, 6n, 1.5);
    r.packet('alice', undefined, true, prepare(8), reject('F99'), 8n, 0.4);
    r.packet(undefined, 'bob', false, prepare(9), reject('T04'), 9n, 2);
    r.packet(undefined, undefined, false, prepare(10), reject('F02'), 10n, 0.1);
    const events = r.drain();
    assert.equal(events.length, 4);
    const [first, second, third, fourth] = events;
    assert.equal(first?.type, 'packet.fulfilled');
    assert.equal(first?.peerId, 'alice');
    assert.equal(first?.direction, 'incoming');
    assert.equal(first?.amount, '7');
    assert.equal(first?.destination, 'g.bob.7');
    assert.equal(first?.packetId, '07'.repeat(32));
    assert.deepEqual(
      { from: first?.data?.from, to: first?.data?.to, amountOut: first?.data?.amountOut },
      { from: 'alice', to: 'bob', amountOut: '6' },
    );
    assert.equal(first?.data?.fulfillment, '01'.repeat(32));
    assert.equal(second?.type, 'packet.rejected');
    assert.equal(second?.code, 'F99');
    assert.equal(second?.data?.to, 'local');
    assert.equal(second?.data?.triggeredBy, 'g.me');
    assert.equal(third?.direction, 'outgoing');
    assert.equal(third?.peerId, 'bob');
    assert.equal(third?.data?.amountOut, '9');
    assert.deepEqual(
      { to: fourth?.data?.to, amountOut: fourth?.data?.amountOut, amount: fourth?.amount },
      { to: null, amountOut: '0', amount: '10' },
      'not forwarded: nothing went out',
    );
    assert.deepEqual(r.drain(), [], 'a drain empties the ring');
  });

  it('above the rate, keeps at most the rate per second, spread over the second, and counts every packet', () => {
    const c = clock();
    const r = new EventRecorder({ now: c.now, maxPacketEventsPerSecond: 100, ringSize: 10_000 });
    // Second 0: 1,000 packets, the first 100 kept (no rate known yet).
    for (let i = 0; i < 1000; i++) r.packet('a', 'b', false, prepare(i), FULFILL, 1n, 1);
    assert.equal(r.drain().length, 100);
    assert.equal(r.sampledOut, 900);
    // Second 1: the step follows second 0's rate (1 in 10), so kept packets cover the whole second.
    c.set(T0 + 1000);
    for (let i = 0; i < 1000; i++) r.packet('a', 'b', false, prepare(i), FULFILL, 1n, 1);
    const kept = r.drain();
    assert.equal(kept.length, 100);
    assert.deepEqual(
      kept.slice(0, 3).map((e) => e.amount),
      ['0', '10', '20'],
    );
    assert.equal(kept.at(-1)?.amount, '990');
    const stats = r.stats(2);
    assert.equal(stats.fulfilled, 2000, 'stats count every packet');
    assert.equal(stats.packetsPerSecond, 1000);
  });

  it('holds at most ringSize packet events between drains and counts what it overwrote', () => {
    const c = clock();
    const r = new EventRecorder({ now: c.now, ringSize: 4 });
    for (let i = 0; i < 10; i++) r.packet('a', 'b', false, prepare(i), FULFILL, 1n, 1);
    const events = r.drain();
    assert.deepEqual(
      events.map((e) => e.amount),
      ['6', '7', '8', '9'],
      'the newest four, oldest first',
    );
    assert.equal(r.dropped, 6);
  });

  it('bounds other events and merges them with packets in time order', () => {
    const c = clock();
    const r = new EventRecorder({ now: c.now, maxOtherEvents: 2 });
    r.event({ type: 'peer.connected', peerId: 'a' });
    c.set(T0 + 5);
    r.packet('a', 'b', false, prepare(1), FULFILL, 1n, 1);
    c.set(T0 + 10);
    r.event({ type: 'peer.disconnected', peerId: 'a' });
    r.event({ type: 'peer.connected', peerId: 'a' });
    assert.deepEqual(
      r.drain().map((e) => [e.type, e.ts - T0]),
      [
        ['peer.connected', 0],
        ['packet.fulfilled', 5],
        ['peer.disconnected', 10],
      ],
    );
    assert.equal(r.dropped, 1);
  });

  it('reports rates, reject codes and latency percentiles over a window, and forgets older seconds', () => {
    const c = clock();
    const r = new EventRecorder({ now: c.now });
    for (let i = 0; i < 98; i++) r.packet('a', 'b', false, prepare(i), FULFILL, 1n, 1);
    r.packet('a', 'b', false, prepare(98), reject('F02'), 1n, 100);
    r.packet('a', 'b', false, prepare(99), reject('T04'), 1n, 1000);
    c.set(T0 + 9000);
    const s = r.stats(10);
    assert.equal(s.fulfilled, 98);
    assert.equal(s.rejected, 2);
    assert.equal(s.fulfillRatio, 0.98);
    assert.deepEqual(s.rejectsByCode, { F02: 1, T04: 1 });
    assert.equal(s.series.length, 10);
    assert.equal(s.series[0]?.fulfilled, 98);
    // Bucket upper bounds: within 25% above the true latency.
    assert.ok(s.latencyMs.p50! >= 1 && s.latencyMs.p50! <= 1.25, `p50 ${s.latencyMs.p50}`);
    assert.ok(s.latencyMs.p99! >= 100 && s.latencyMs.p99! <= 125, `p99 ${s.latencyMs.p99}`);
    c.set(T0 + 301_000);
    const later = r.stats(300);
    assert.equal(later.fulfilled + later.rejected, 0, 'a second older than the window is gone');
    assert.equal(later.latencyMs.p50, null);
    assert.equal(later.fulfillRatio, null);
  });

  it('a second reused after the 300-second wrap starts from zero', () => {
    const c = clock();
    const r = new EventRecorder({ now: c.now });
    r.packet('a', 'b', false, prepare(1), reject('F02'), 1n, 1);
    c.set(T0 + 300_000);
    r.packet('a', 'b', false, prepare(2), FULFILL, 1n, 1);
    const s = r.stats(1);
    assert.deepEqual([s.fulfilled, s.rejected, s.rejectsByCode], [1, 0, {}]);
  });
  it('copies what an event shows: a packet reused or changed after its outcome does not change the event', () => {
    const r = new EventRecorder({ now: clock().now });
    const p = prepare(3);
    const f: IlpReply = { type: 13, fulfillment: new Uint8Array(32).fill(4), data: new Uint8Array(0) };
    r.packet('alice', 'bob', false, p, f, 3n, 1);
    // The socket's buffer a decoded packet points into is reused by the next read.
    p.executionCondition.fill(0xee);
    f.fulfillment.fill(0xee);
    p.destination = 'g.changed';
    const short31 = { ...prepare(5), executionCondition: new Uint8Array(31).fill(5) };
    r.packet('alice', 'bob', false, short31, reject('F01'), 5n, 1);
    const [event, short] = r.drain();
    assert.equal(event?.packetId, '03'.repeat(32));
    assert.equal(event?.data?.fulfillment, '04'.repeat(32));
    assert.equal(event?.destination, 'g.bob.3');
    // A condition of the wrong length (a local sender's mistake) is shown padded, never thrown.
    assert.equal(short?.packetId, `${'05'.repeat(31)}00`);
    assert.equal(short?.code, 'F01');
  });
});
