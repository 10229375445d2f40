/**
 * Settlement series of ConnectorMetrics: built from SettlementStats at scrape time, bounded
 * labels, and absent when settlement is off.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectorMetrics, type MetricsSource } from '../../src/http/index.js';
import { CLAIM_REFUSALS, type SettlementStats } from '../../src/settlement/index.js';

const CHAIN_ERROR_KINDS = ['revert', 'rpc', 'timeout', 'wrong-chain', 'not-found'];

function stats(): SettlementStats {
  return {
    claimsSent: 7,
    claimsAcknowledged: 6,
    claimsRejectedByPeer: 1,
    claimsReceived: 4,
    claimsRefused: new Map([
      ['stale-nonce', 2],
      ['unknown-peer', 1],
    ]),
    redemptions: 3,
    tokensSent: 5n * 10n ** 18n,
    tokensReceived: 1_100_000_000_000n,
    tokensRedeemed: 1_000_000_000_000n,
    chainErrors: new Map([['rpc', 3]]),
    channelsOpened: { outgoing: 2, incoming: 1 },
    channelsSettled: { outgoing: 1, incoming: 0 },
  };
}

function source(settlement?: () => SettlementStats | undefined): MetricsSource {
  return {
    packetCounts: () => [],
    links: () => [],
    balances: async () => [],
    packetsInFlight: () => 0,
    transitNotificationsDropped: () => 0,
    ...(settlement === undefined ? {} : { settlement }),
  };
}

interface Exposition {
  samples: Map<string, number>;
  types: Map<string, string>;
}

/**
 * Exposition format 0.0.4: HELP and TYPE before a family's samples, then `name{labels} value`.
 * Every sample must belong to a family whose TYPE came first.
 */
function parse(text: string): Exposition {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const sample =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)((?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (\S+)$/;
  const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    if (raw.startsWith('#')) {
      const m = meta.exec(raw);
      assert.ok(m, `not a HELP or TYPE line: ${raw}`);
      if (m[1] === 'TYPE') {
        assert.ok(!types.has(m[2]!), `TYPE twice: ${m[2]}`);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    const m = sample.exec(raw);
    assert.ok(m, `not a Prometheus sample line: ${raw}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]!) || types.has(family), `sample before its TYPE: ${raw}`);
    const value = /^nan$/i.test(m[3]!) ? Number.NaN : Number(m[3]);
    assert.ok(!Number.isNaN(value) || /^nan$/i.test(m[3]!), raw);
    const key = m[1]! + m[2]!;
    assert.ok(!samples.has(key), `sample twice: ${key}`);
    samples.set(key, value);
  }
  return { samples, types };
}

async function scrape(metrics: ConnectorMetrics): Promise<Exposition> {
  return parse((await metrics.scrape()).body);
}

function settlementSeries(e: Exposition): string[] {
  return [...e.samples.keys()].filter((k) => k.startsWith('connector_settlement_'));
}

describe('settlement metrics', () => {
  it('reports the engine stats as counters', async () => {
    const s = stats();
    const { samples, types } = await scrape(new ConnectorMetrics(source(() => s)));
    for (const name of [
      'connector_settlement_claims_total',
      'connector_settlement_claims_acknowledged_total',
      'connector_settlement_claims_rejected_by_peer_total',
      'connector_settlement_claims_refused_total',
      'connector_settlement_redemptions_total',
      'connector_settlement_tokens_total',
      'connector_settlement_chain_errors_total',
      'connector_settlement_channels_total',
    ])
      assert.equal(types.get(name), 'counter', name);
    assert.equal(samples.get('connector_settlement_claims_total{direction="sent"}'), 7);
    assert.equal(samples.get('connector_settlement_claims_total{direction="received"}'), 4);
    assert.equal(samples.get('connector_settlement_claims_acknowledged_total'), 6);
    assert.equal(samples.get('connector_settlement_claims_rejected_by_peer_total'), 1);
    assert.equal(samples.get('connector_settlement_redemptions_total'), 3);
    assert.equal(samples.get('connector_settlement_tokens_total{direction="sent"}'), 5e18);
    assert.equal(samples.get('connector_settlement_tokens_total{direction="received"}'), 1_100_000_000_000);
    assert.equal(samples.get('connector_settlement_tokens_total{direction="redeemed"}'), 1_000_000_000_000);
    const channels = (direction: string, event: string) =>
      samples.get(`connector_settlement_channels_total{direction="${direction}",event="${event}"}`);
    assert.equal(channels('outgoing', 'opened'), 2);
    assert.equal(channels('outgoing', 'settled'), 1);
    assert.equal(channels('incoming', 'opened'), 1);
    assert.equal(channels('incoming', 'settled'), 0);
  });

  it('reports every refusal reason and chain error kind from 0, and nothing else', async () => {
    const { samples } = await scrape(new ConnectorMetrics(source(stats)));
    const refused = (reason: string) => `connector_settlement_claims_refused_total{reason="${reason}"}`;
    const errors = (kind: string) => `connector_settlement_chain_errors_total{kind="${kind}"}`;
    for (const reason of CLAIM_REFUSALS)
      assert.equal(samples.get(refused(reason)), reason === 'stale-nonce' ? 2 : 0, reason);
    assert.equal(samples.get(refused('unknown-peer')), 1);
    for (const kind of CHAIN_ERROR_KINDS)
      assert.equal(samples.get(errors(kind)), kind === 'rpc' ? 3 : 0, kind);
    const keys = [...samples.keys()];
    assert.equal(keys.filter((k) => k.startsWith('connector_settlement_claims_refused_total')).length, 11);
    assert.equal(keys.filter((k) => k.startsWith('connector_settlement_chain_errors_total')).length, 5);
  });

  it('counts labels outside the fixed lists as "other", so series stay bounded', async () => {
    const s = stats();
    s.claimsRefused.set('made-up', 4).set('also-made-up', 1);
    s.chainErrors.set('cosmic-ray', 2);
    const { samples } = await scrape(new ConnectorMetrics(source(() => s)));
    assert.equal(samples.get('connector_settlement_claims_refused_total{reason="other"}'), 5);
    assert.equal(samples.get('connector_settlement_chain_errors_total{kind="other"}'), 2);
    assert.ok(![...samples.keys()].some((k) => k.includes('made-up') || k.includes('cosmic-ray')));
  });

  it('follows the stats from one scrape to the next without adding them up twice', async () => {
    const s = stats();
    const metrics = new ConnectorMetrics(source(() => s));
    await scrape(metrics);
    s.claimsSent += 1;
    s.tokensSent += 10n;
    s.claimsRefused.set('wrong-signer', 1);
    const { samples } = await scrape(metrics);
    assert.equal(samples.get('connector_settlement_claims_total{direction="sent"}'), 8);
    assert.equal(samples.get('connector_settlement_tokens_total{direction="sent"}'), 5e18 + 10);
    assert.equal(samples.get('connector_settlement_claims_refused_total{reason="wrong-signer"}'), 1);
    assert.equal(samples.get('connector_settlement_claims_refused_total{reason="stale-nonce"}'), 2);
  });

  it('token totals above 2^53 are floats: close, not exact (as the HELP says)', async () => {
    const s = stats();
    s.tokensReceived = 2n ** 53n + 1n;
    const metrics = new ConnectorMetrics(source(() => s));
    const { samples } = await scrape(metrics);
    assert.equal(samples.get('connector_settlement_tokens_total{direction="received"}'), 2 ** 53);
    assert.match((await metrics.scrape()).body, /# HELP connector_settlement_tokens_total .*2\^53/);
  });

  it('no settlement series, HELP or TYPE when settlement is off', async () => {
    for (const off of [undefined, () => undefined]) {
      const body = (await new ConnectorMetrics(source(off)).scrape()).body;
      const e = parse(body);
      assert.deepEqual(settlementSeries(e), []);
      assert.ok(!body.includes('connector_settlement_'));
      assert.ok(e.samples.has('connector_packets_in_flight'), 'the other series are still there');
    }
  });

  it('the series appear once settlement reports stats', async () => {
    let current: SettlementStats | undefined;
    const metrics = new ConnectorMetrics(source(() => current));
    assert.deepEqual(settlementSeries(await scrape(metrics)), []);
    current = stats();
    assert.equal(settlementSeries(await scrape(metrics)).length, 2 + 1 + 1 + 11 + 1 + 3 + 4 + 5);
  });
});
