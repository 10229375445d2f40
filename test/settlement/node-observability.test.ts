/**
 * Settlement seen from outside: one `info` line per settlement event (claim sent, received,
 * redeemed; channel opened, topped up, closing, closed) and none per packet; and the /metrics
 * counters of money (tokens claimed and redeemed) read from the saved channels, so restarting
 * both nodes does not reset them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { type ConnectorConfig, ConnectorNode } from '../../src/index.js';
import { baseConfig, sendData, waitConnected } from '../helpers/nodes.js';
import { ANVIL_KEYS } from './anvil.js';
import {
  addressOf,
  FACTOR,
  nextSettlementEvent,
  settlementConfig,
  startTestChain,
  type TestChain,
} from './chain-fixture.js';

const THRESHOLD = 1_000n;
const INFO = 30;

type Line = Record<string, unknown> & { level: number; msg: string };

interface Logged {
  node: ConnectorNode;
  lines: Line[];
}

function start(config: ConnectorConfig, env: Record<string, string> = {}): Logged {
  const lines: Line[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Line) });
  return { node: new ConnectorNode(config, logger, { env }), lines };
}

const said = (l: Logged, msg: string) => l.lines.filter((line) => line.level >= INFO && line.msg === msg);

async function moneyCounters(node: ConnectorNode): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${node.healthPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const direction of ['sent', 'received', 'redeemed']) {
    const m = new RegExp(
      `^connector_settlement_tokens_total\\{direction="${direction}"\\} (\\S+)$`,
      'm',
    ).exec(text);
    assert.ok(m, `no tokens_total{direction="${direction}"} in\n${text}`);
    out[direction] = Number(m[1]);
  }
  return out;
}

describe('settlement logs and metrics that survive a restart', { timeout: 90_000 }, () => {
  let chain: TestChain;
  let dir: string;
  const running: ConnectorNode[] = [];
  const keyA = ANVIL_KEYS[1];
  const keyB = ANVIL_KEYS[2];

  const payeeConfig = () =>
    baseConfig('b', {
      peers: [{ id: 'a', evmAddress: addressOf(keyA) }],
      ...settlementConfig(chain, keyB, join(dir, 'b.json'), { redeemMinimum: 1n }),
    });
  const payerConfig = (payee: ConnectorNode) =>
    baseConfig('a', {
      peers: [
        { id: 'b', url: `ws://127.0.0.1:${payee.btpPort}`, authToken: 's', evmAddress: addressOf(keyB) },
      ],
      routes: [{ prefix: 'g.b', nextHop: 'b' }],
      ...settlementConfig(chain, keyA, join(dir, 'a.json'), { threshold: THRESHOLD }),
    });

  async function pair(): Promise<{ a: Logged; b: Logged }> {
    const b = start(payeeConfig(), { BTP_PEER_A_SECRET: 's' });
    b.node.setPacketHandler(() => ({ accept: true }));
    running.push(b.node);
    await b.node.start();
    const a = start(payerConfig(b.node));
    running.push(a.node);
    await a.node.start();
    await waitConnected(a.node, 'b');
    await Promise.all([a.node.settlementReady(), b.node.settlementReady()]);
    return { a, b };
  }

  before(async () => {
    chain = await startTestChain(8453);
    dir = await mkdtemp(join(tmpdir(), 'settle-observe-'));
  });

  after(async () => {
    for (const node of running) await node.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('one info line per event, none per packet; counters survive a restart of both nodes', async () => {
    let { a, b } = await pair();
    await a.node.openChannel('b', 5_000n * FACTOR);
    await a.node.openChannel('b', 1_000n * FACTOR);
    assert.equal(said(a, 'settlement: channel opened').length, 1);
    assert.equal(said(a, 'settlement: channel topped up').length, 1);
    assert.equal(said(a, 'settlement: channel topped up')[0]?.deposit, String(6_000n * FACTOR));

    const infoBefore = a.lines.filter((l) => l.level >= INFO).length;
    for (let nonce = 1n; nonce <= 2n; nonce++) {
      const redeemed = nextSettlementEvent(
        b.node,
        'redeemed',
        (e) => e.redeemed === nonce * THRESHOLD * FACTOR,
      );
      for (let i = 0n; i < THRESHOLD / 100n; i++)
        assert.equal((await sendData(a.node, 'g.b.x', 100n, `n${nonce}-${i}`)).type, 13);
      await redeemed;
    }
    // 20 packets, 2 claims: the payer's only new info lines are the two claims.
    const added = a.lines.filter((l) => l.level >= INFO).slice(infoBefore);
    assert.deepEqual(
      added.map((l) => l.msg),
      ['settlement: claim sent', 'settlement: claim sent'],
    );
    assert.deepEqual(
      said(a, 'settlement: claim sent').map((l) => [l.nonce, l.amount, l.peerId]),
      [
        ['1', String(THRESHOLD * FACTOR), 'b'],
        ['2', String(THRESHOLD * FACTOR), 'b'],
      ],
    );
    assert.equal(said(b, 'settlement: claim received').length, 2);
    assert.equal(said(b, 'settlement: claim redeemed').length, 2);

    const claimed = Number(2n * THRESHOLD * FACTOR);
    assert.deepEqual(await moneyCounters(a.node), { sent: claimed, received: 0, redeemed: 0 });
    assert.deepEqual(await moneyCounters(b.node), { sent: 0, received: claimed, redeemed: claimed });

    // Restart both: the counters of money come back from the saved channels.
    await a.node.stop();
    await b.node.stop();
    ({ a, b } = await pair());
    assert.deepEqual(await moneyCounters(a.node), { sent: claimed, received: 0, redeemed: 0 });
    assert.deepEqual(await moneyCounters(b.node), { sent: 0, received: claimed, redeemed: claimed });

    // A close: the payer logs it closed (cooperative, one transaction), the payee its co-signed closing.
    const closing = nextSettlementEvent(b.node, 'channel-closing');
    await a.node.closeChannel('b', 'outgoing');
    await closing;
    assert.equal(said(a, 'settlement: channel closed').length, 1);
    assert.equal(said(b, 'settlement: channel closing').length, 1);
    assert.deepEqual(await moneyCounters(a.node), { sent: claimed, received: 0, redeemed: 0 });
  });
});
