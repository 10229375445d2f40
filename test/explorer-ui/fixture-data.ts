/**
 * Canned answers of the Explorer API (docs/explorer.md) for the page's tests: one node with three
 * peers, three channels and a few minutes of packets. Deterministic: no randomness, times
 * relative to `nowMs`.
 */
import type { NodeEvent } from '../../src/types/index.js';

export const FULFILLED_ID = 'a1'.repeat(32);
export const REJECTED_ID = 'b2'.repeat(32);
export const CLAIM_TX = `0x${'c3'.repeat(32)}`;
export const ALICE_CHANNEL = `0x${'a11ce'.padEnd(64, '0')}`;
export const BOB_CHANNEL = `0x${'b0b'.padEnd(64, '0')}`;
export const CAROL_CHANNEL = `0x${'ca201'.padEnd(64, '0')}`;
export const BASESCAN = 'https://sepolia.basescan.org';

export function nodeInfo(nowMs: number) {
  return {
    nodeId: 'connector-a',
    ilpAddress: 'g.connector-a',
    version: '0.1.0',
    settlementAddresses: [
      { chain: 'base-sepolia', chainId: 84532, address: '0x5aeda56215b167893e80b4fe645ba6d5bab767de' },
    ],
    keyBackend: 'local',
    startedAtMs: nowMs - 3 * 3600_000 - 125_000,
  };
}

const balance = (debit: bigint, credit: bigint, pendingDebit = 0n, pendingCredit = 0n) => ({
  debit: debit.toString(),
  credit: credit.toString(),
  net: (credit - debit).toString(),
  pendingDebit: pendingDebit.toString(),
  pendingCredit: pendingCredit.toString(),
});

export function peers() {
  return [
    {
      id: 'alice',
      relation: 'child',
      connected: true,
      url: 'btp+ws://alice.example:7768',
      balance: balance(750_000n, 125_000n, 25_000n),
      maximum: '1000000',
      settleThreshold: '500000',
      routes: ['g.alice'],
    },
    {
      id: 'bob',
      relation: 'peer',
      connected: true,
      url: 'btp+ws://bob.example:7768',
      balance: balance(10_000n, 52_000n),
      maximum: '2000000',
      settleThreshold: null,
      routes: ['g.bob', 'g.bob-shop'],
    },
    {
      id: 'carol',
      relation: 'parent',
      connected: false,
      balance: balance(0n, 0n),
      maximum: null,
      settleThreshold: null,
      routes: [],
    },
  ];
}

export function channels(nowMs: number) {
  const base = { chainId: 84532, tokenNetwork: '0x9f8f72aa9304c8b593d555f12ef6589cc3a579a2', nonce: '0' };
  return [
    {
      ...base,
      channelId: ALICE_CHANNEL,
      peerId: 'alice',
      chain: 'base-sepolia',
      direction: 'outgoing',
      counterparty: '0x1111111111111111111111111111111111111111',
      status: 'open',
      deposit: '5000000',
      transferred: '1250000',
      nonce: '7',
      acknowledgedNonce: '7',
      settleableAt: '0',
      explorerUrl: BASESCAN,
    },
    {
      ...base,
      channelId: BOB_CHANNEL,
      peerId: 'bob',
      chain: 'base-sepolia',
      direction: 'incoming',
      counterparty: '0x2222222222222222222222222222222222222222',
      status: 'open',
      deposit: '3000000',
      transferred: '300000',
      nonce: '4',
      redeemed: '200000',
      settleableAt: '0',
      explorerUrl: BASESCAN,
    },
    {
      ...base,
      channelId: CAROL_CHANNEL,
      peerId: 'carol',
      chain: 'anvil',
      chainId: 31337,
      direction: 'outgoing',
      counterparty: '0x3333333333333333333333333333333333333333',
      status: 'closing',
      deposit: '1000000',
      transferred: '400000',
      nonce: '2',
      settleableAt: String(Math.floor(nowMs / 1000) + 3600),
    },
  ];
}

const REJECT_CODES = ['F02', 'T04', 'F99', 'R00'];

/** A packet event as the recorder writes it (src/http/explorer/recorder.ts packetEvent). */
export function packet(
  ts: number,
  packetId: string,
  outcome: 'fulfilled' | 'rejected',
  code = 'F02',
  extra: Partial<NodeEvent> = {},
): Omit<NodeEvent, 'id'> {
  const event: Omit<NodeEvent, 'id'> = {
    ts,
    type: `packet.${outcome}`,
    peerId: 'alice',
    direction: 'incoming',
    packetId,
    amount: '1000',
    destination: 'g.bob.wallet',
    latencyMs: 1.7,
    data: { from: 'alice', to: 'bob', amountOut: '998', expiresAt: ts + 30_000 },
    ...extra,
  };
  if (outcome === 'fulfilled') event.data = { ...event.data, fulfillment: 'f0'.repeat(32) };
  else {
    event.code = code;
    event.data = { ...event.data, message: `no route to ${event.destination}`, triggeredBy: 'g.connector-a' };
  }
  return event;
}

/** A few minutes of traffic, oldest first, ending with the two packets the tests look for. */
export function history(nowMs: number): Omit<NodeEvent, 'id'>[] {
  const events: Omit<NodeEvent, 'id'>[] = [
    { ts: nowMs - 200_000, type: 'peer.connected', peerId: 'alice' },
    { ts: nowMs - 199_000, type: 'route.added', peerId: 'alice', destination: 'g.alice' },
    { ts: nowMs - 198_000, type: 'peer.connected', peerId: 'bob' },
    {
      ts: nowMs - 190_000,
      type: 'channel.opened',
      peerId: 'alice',
      chain: 'base-sepolia',
      channelId: ALICE_CHANNEL,
      amount: '5000000',
      txHash: `0x${'d4'.repeat(32)}`,
    },
  ];
  for (let i = 0; i < 60; i += 1) {
    const ts = nowMs - 180_000 + i * 2_900;
    const id = i.toString(16).padStart(2, '0').repeat(32);
    const rejected = i % 7 === 3;
    const to = i % 2 === 0 ? 'bob' : 'local';
    const extra: Partial<NodeEvent> = { latencyMs: 0.8 + (i % 9) * 0.45, amount: String(1000 + i * 10) };
    if (to === 'local') extra.destination = 'g.connector-a.wallet';
    const event = packet(
      ts,
      id,
      rejected ? 'rejected' : 'fulfilled',
      REJECT_CODES[i % REJECT_CODES.length],
      extra,
    );
    event.data = { ...event.data, to };
    events.push(event);
  }
  events.push(
    {
      ts: nowMs - 19_000,
      type: 'claim.sent',
      peerId: 'alice',
      chain: 'base-sepolia',
      channelId: ALICE_CHANNEL,
      amount: '1250000',
      data: { nonce: 7 },
    },
    {
      ts: nowMs - 18_500,
      type: 'claim.acknowledged',
      peerId: 'alice',
      chain: 'base-sepolia',
      channelId: ALICE_CHANNEL,
      amount: '1250000',
    },
    {
      ts: nowMs - 15_000,
      type: 'claim.received',
      peerId: 'bob',
      chain: 'base-sepolia',
      channelId: BOB_CHANNEL,
      amount: '300000',
    },
    {
      ts: nowMs - 12_000,
      type: 'claim.redeemed',
      peerId: 'bob',
      chain: 'base-sepolia',
      channelId: BOB_CHANNEL,
      amount: '200000',
      txHash: CLAIM_TX,
    },
    { ts: nowMs - 10_000, type: 'peer.disconnected', peerId: 'carol' },
    packet(nowMs - 5_000, FULFILLED_ID, 'fulfilled', 'F02', { latencyMs: 2.4, amount: '5000' }),
    packet(nowMs - 4_000, REJECTED_ID, 'rejected', 'F02', {
      peerId: 'bob',
      destination: 'g.nowhere.x',
      data: { from: 'bob', to: null, amountOut: '0', expiresAt: nowMs + 26_000 },
    }),
  );
  return events;
}
