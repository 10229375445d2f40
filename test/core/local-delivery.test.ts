/** LocalDelivery in isolation: deadlines apply to any thenable, and answers map to replies. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { PacketContext } from '../../src/core/context.js';
import { LocalDelivery } from '../../src/core/local-delivery.js';
import { silentLogger } from '../../src/utils/logger.js';

function ctx(expiresInMs: number): PacketContext {
  const now = Date.now();
  return {
    source: undefined,
    raw: new Uint8Array(0),
    prepare: {
      type: 12,
      amount: 1n,
      expiresAt: new Date(now + expiresInMs),
      executionCondition: new Uint8Array(32),
      destination: 'g.me',
      data: new Uint8Array(0),
    },
    receivedAtMs: now,
    originAccount: undefined,
    nextHop: undefined,
    local: true,
    outgoingAmount: 1n,
    outgoingExpiryMs: 0,
    unanswered: false,
  };
}

function delivery(): LocalDelivery {
  return new LocalDelivery({
    address: () => 'g.me',
    logger: silentLogger(),
    maxTransitInFlight: 10,
    maxHoldTimeMs: 30_000,
    minMessageWindowMs: 1000,
  });
}

it('a handler answering with a never-settling thenable gets R00 at the deadline', async () => {
  const d = delivery();
  // biome-ignore lint/suspicious/noThenProperty: the point is a non-native thenable.
  d.setHandler(() => ({ then() {} }) as unknown as Promise<never>);
  const reply = await d.deliver(ctx(50));
  assert.equal(reply.type, 14);
  if (reply.type === 14) assert.equal(reply.code, 'R00');
});

it('no handler: F02; a handler that throws: T00', async () => {
  const d = delivery();
  const none = await d.deliver(ctx(5000));
  assert.equal(none.type === 14 && none.code, 'F02');
  d.setHandler(() => {
    throw new Error('boom');
  });
  const thrown = await d.deliver(ctx(5000));
  assert.equal(thrown.type === 14 && thrown.code, 'T00');
});
