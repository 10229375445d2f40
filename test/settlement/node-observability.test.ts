/**
 * Settlement seen from outside: one `info` line per settlement event (claim sent, received,
 * redeemed; channel opened, topped up, closing, closed) and none per packet; and every /metrics
 * counter of settlement (claims, acknowledgements, refusals, redemptions, channels, tokens) is
 * the same after both nodes restart as before, and goes on counting from there.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { BTP_TYPE, CONTENT_TYPE } from '../../src/codec/index.js';
import { type ConnectorConfig, ConnectorNode } from '../../src/index.js';
import { CLAIM_SUB_PROTOCOL } from '../../src/settlement/index.js';
import { RawClient } from '../btp/helpers.js';
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

/** Every `connector_settlement_*` sample of the node's /metrics, by name and labels. */
async function settlementCounters(node: ConnectorNode): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${node.healthPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^(connector_settlement_\S+) (\S+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** A claim from peer `m`, which has no settlement address at B: refused, and counted as such. */
async function refusedClaim(payee: ConnectorNode): Promise<void> {
  const raw = await RawClient.authed(payee.btpPort, 'm', 'm');
  try {
    const data = new Uint8Array(8);
    const answer = await raw.request([
      { protocolName: CLAIM_SUB_PROTOCOL, contentType: CONTENT_TYPE.octetStream, data },
    ]);
    assert.equal(answer.type, BTP_TYPE.error);
  } finally {
    await raw.close();
  }
}

/** The increase of each sample from `before` to `after`, the unchanged ones left out. */
function growth(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of after)
    if (value !== (before.get(key) ?? 0)) out[key] = value - (before.get(key) ?? 0);
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
      peers: [{ id: 'a', evmAddress: addressOf(keyA) }, { id: 'm' }],
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
    const b = start(payeeConfig(), { BTP_PEER_A_SECRET: 's', BTP_PEER_M_SECRET: 'm' });
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

    await refusedClaim(b.node);
    const beforeA = await settlementCounters(a.node);
    const beforeB = await settlementCounters(b.node);
    const claims = (d: string) => `connector_settlement_claims_total{direction="${d}"}`;
    const refused = [...beforeB].filter(([k]) => k.startsWith('connector_settlement_claims_refused_total'));
    assert.equal(beforeA.get(claims('sent')), 2);
    assert.equal(beforeA.get('connector_settlement_claims_acknowledged_total'), 2);
    assert.equal(beforeA.get('connector_settlement_channels_total{direction="outgoing",event="opened"}'), 1);
    assert.equal(beforeB.get(claims('received')), 2);
    assert.equal(beforeB.get('connector_settlement_redemptions_total'), 2);
    assert.equal(beforeB.get('connector_settlement_channels_total{direction="incoming",event="opened"}'), 1);
    assert.equal(
      refused.reduce((sum, [, n]) => sum + n, 0),
      1,
      'one refusal counted',
    );

    // Restart both: every settlement counter comes back as it was (money from the saved
    // channels, counts of events from the counts saved with them).
    await a.node.stop();
    await b.node.stop();
    ({ a, b } = await pair());
    assert.deepEqual(await moneyCounters(a.node), { sent: claimed, received: 0, redeemed: 0 });
    assert.deepEqual(await moneyCounters(b.node), { sent: 0, received: claimed, redeemed: claimed });
    assert.deepEqual(await settlementCounters(a.node), beforeA);
    assert.deepEqual(await settlementCounters(b.node), beforeB);

    // And they go on counting from there: one more claim, acknowledged, received and redeemed.
    const redeemed = nextSettlementEvent(b.node, 'redeemed', (e) => e.redeemed === 3n * THRESHOLD * FACTOR);
    const acknowledged = nextSettlementEvent(a.node, 'claim-acknowledged', (e) => e.nonce === 3n);
    for (let i = 0n; i < THRESHOLD / 100n; i++)
      assert.equal((await sendData(a.node, 'g.b.x', 100n, `n3-${i}`)).type, 13);
    await Promise.all([redeemed, acknowledged]);
    const one = Number(THRESHOLD * FACTOR);
    assert.deepEqual(growth(beforeA, await settlementCounters(a.node)), {
      [claims('sent')]: 1,
      connector_settlement_claims_acknowledged_total: 1,
      'connector_settlement_tokens_total{direction="sent"}': one,
    });
    assert.deepEqual(growth(beforeB, await settlementCounters(b.node)), {
      [claims('received')]: 1,
      connector_settlement_redemptions_total: 1,
      'connector_settlement_tokens_total{direction="received"}': one,
      'connector_settlement_tokens_total{direction="redeemed"}': one,
    });
    const total = Number(3n * THRESHOLD * FACTOR);

    // A close: the payer logs it closed (cooperative, one transaction), the payee its co-signed closing.
    const closing = nextSettlementEvent(b.node, 'channel-closing');
    await a.node.closeChannel('b', 'outgoing');
    await closing;
    assert.equal(said(a, 'settlement: channel closed').length, 1);
    assert.equal(said(b, 'settlement: channel closing').length, 1);
    assert.deepEqual(await moneyCounters(a.node), { sent: total, received: 0, redeemed: 0 });
  });
});
