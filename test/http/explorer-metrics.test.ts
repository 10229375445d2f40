/**
 * Explorer series of ConnectorMetrics: the store up or not and the events lost, read from the
 * Explorer's status at scrape time, and absent while no Explorer runs. (A real failing store
 * under a real node: test/core/explorer-store-fault.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectorMetrics, type ExplorerStatus, type MetricsSource } from '../../src/http/index.js';

function source(explorer: () => ExplorerStatus | undefined): MetricsSource {
  return {
    packetCounts: () => [],
    links: () => [],
    balances: async () => [],
    packetsInFlight: () => 0,
    transitNotificationsDropped: () => 0,
    explorer,
  };
}

function status(state: 'open' | 'failed' | 'closed', recorder: number, store: number): ExplorerStatus {
  return { store: { state, events: 0, sizeBytes: 0, path: '/tmp/events.db' }, dropped: { recorder, store } };
}

async function scrape(metrics: ConnectorMetrics): Promise<string> {
  return (await metrics.scrape()).body;
}

describe('explorer metrics', () => {
  it('no explorer series, HELP or TYPE while no Explorer runs', async () => {
    const body = await scrape(new ConnectorMetrics(source(() => undefined)));
    assert.doesNotMatch(body, /connector_explorer_/);
    assert.match(body, /^connector_packets_in_flight 0$/m, 'the rest is there');
  });

  it('follows the store from up to failed, and counts what each stage dropped', async () => {
    let now = status('open', 0, 0);
    const metrics = new ConnectorMetrics(source(() => now));
    let body = await scrape(metrics);
    assert.match(body, /^# TYPE connector_explorer_store_up gauge$/m);
    assert.match(body, /^# TYPE connector_explorer_events_dropped_total counter$/m);
    assert.match(body, /^connector_explorer_store_up 1$/m);
    assert.match(body, /^connector_explorer_events_dropped_total\{stage="recorder"\} 0$/m);
    assert.match(body, /^connector_explorer_events_dropped_total\{stage="store"\} 0$/m);

    now = status('failed', 2, 150);
    body = await scrape(metrics);
    assert.match(body, /^connector_explorer_store_up 0$/m);
    assert.match(body, /^connector_explorer_events_dropped_total\{stage="recorder"\} 2$/m);
    assert.match(body, /^connector_explorer_events_dropped_total\{stage="store"\} 150$/m);

    now = status('failed', 2, 400);
    body = await scrape(metrics);
    assert.match(
      body,
      /^connector_explorer_events_dropped_total\{stage="store"\} 400$/m,
      'not added up twice',
    );
  });
});
