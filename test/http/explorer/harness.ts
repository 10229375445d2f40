/** An Explorer on port 0 with a fake node, a real recorder and a real store in a temp dir. */
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { WebSocket } from 'ws';
import type { IlpPrepare, IlpReply } from '../../../src/codec/index.js';
import {
  EventRecorder,
  Explorer,
  type ExplorerNode,
  type ExplorerOptions,
  type ExplorerSettings,
} from '../../../src/http/index.js';
import type { ChannelMetadata, PeerAccountBalance } from '../../../src/types/index.js';
import { silentLogger } from '../../../src/utils/logger.js';
import { tempDir, waitFor } from './events.js';

export interface FakeNode extends ExplorerNode {
  balanceList: PeerAccountBalance[];
}

export function balance(peerId: string, debit: bigint, credit: bigint): PeerAccountBalance {
  return {
    peerId,
    tokenId: 'USDC',
    debitBalance: debit,
    creditBalance: credit,
    netBalance: credit - debit,
    pendingDebit: 0n,
    pendingCredit: 0n,
  };
}

const CHANNEL: ChannelMetadata = {
  channelId: `0x${'ab'.repeat(32)}`,
  peerId: 'alice',
  chain: 'base',
  chainId: 8453,
  direction: 'outgoing',
  counterparty: `0x${'11'.repeat(20)}`,
  tokenNetwork: `0x${'22'.repeat(20)}`,
  status: 'open',
  deposit: '1000000',
  transferred: '2500',
  nonce: '3',
  acknowledgedNonce: '3',
  settleableAt: '0',
};

export function fakeNode(): FakeNode {
  const node: FakeNode = {
    balanceList: [balance('alice', 100n, 0n), balance('bob', 0n, 40n)],
    identity: () => ({
      nodeId: 'n1',
      ilpAddress: 'g.n1',
      version: '0.1.0',
      settlementAddresses: [{ chain: 'base', chainId: 8453, address: `0x${'33'.repeat(20)}` }],
      keyBackend: 'env',
      startedAtMs: 1_764_921_600_000,
    }),
    peers: () => [
      { id: 'alice', relation: 'peer', connected: true, url: 'ws://alice:3000', maximum: 5000n },
      { id: 'bob', relation: 'child', connected: false, settleThreshold: 700n },
    ],
    routes: () => [
      { prefix: 'g.alice', nextHop: 'alice', priority: 0 },
      { prefix: 'g.alice.sub', nextHop: 'alice', priority: 1 },
      { prefix: 'g.bob', nextHop: 'bob', priority: 0 },
    ],
    balances: async () => node.balanceList,
    channels: async () => [CHANNEL, { ...CHANNEL, channelId: `0x${'cd'.repeat(32)}`, chainId: 31337 }],
  };
  return node;
}

export interface Harness {
  explorer: Explorer;
  recorder: EventRecorder;
  node: FakeNode;
  base: string;
  storePath: string;
  // biome-ignore lint/suspicious/noExplicitAny: a response body is whatever JSON came back; the assertions check it
  get: (path: string, headers?: Record<string, string>) => Promise<{ status: number; body: any }>;
}

export async function startExplorer(
  t: TestContext,
  settings: Partial<ExplorerSettings> = {},
  extra: Partial<ExplorerOptions> = {},
): Promise<Harness> {
  const storePath = settings.storePath ?? join(tempDir(t), 'events.db');
  const recorder = new EventRecorder({ maxOtherEvents: 100_000 });
  const node = fakeNode();
  const explorer = new Explorer({
    settings: { port: 0, host: '127.0.0.1', retentionDays: 7, maxEvents: 100_000, ...settings, storePath },
    recorder,
    node,
    logger: silentLogger(),
    flushIntervalMs: 20,
    ...extra,
  });
  await explorer.start();
  t.after(() => explorer.stop());
  const base = `http://127.0.0.1:${explorer.port}`;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, { headers });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body };
  };
  return { explorer, recorder, node, base, storePath, get };
}

export function prepare(i: number, destination = 'g.bob.wallet'): IlpPrepare {
  const executionCondition = new Uint8Array(32);
  new DataView(executionCondition.buffer).setUint32(28, i);
  return {
    type: 12,
    amount: BigInt(1000 + i),
    expiresAt: new Date(1_800_000_000_000),
    executionCondition,
    destination,
    data: new Uint8Array(0),
  };
}

export const FULFILL: IlpReply = { type: 13, fulfillment: new Uint8Array(32), data: new Uint8Array(0) };
export const reject = (code: string): IlpReply => ({
  type: 14,
  code,
  triggeredBy: 'g.n1',
  message: `no ${code}`,
  data: new Uint8Array(0),
});

/** Waits until the store holds at least `n` events. */
export async function stored(h: Harness, n: number): Promise<void> {
  await waitFor(async () => {
    const { body } = await h.get('/api/health');
    return body.store.events >= n ? true : undefined;
  }, `${n} stored events`);
}

export function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`status ${res.statusCode}`));
    });
    ws.once('error', reject);
  });
}

/** A ping answered means every frame the client sent before it was handled by the server. */
export function roundTrip(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    ws.once('pong', () => resolve());
    ws.ping();
  });
}
