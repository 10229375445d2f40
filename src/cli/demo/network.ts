/**
 * The demo network, in this process: hub, alice (a peer of hub) and bob (a child of hub that
 * takes its address by IL-DCP), and with --nodes above 3 more children of hub. Each node has its
 * own data directory and Explorer (free ports), and settles with its neighbours on the demo
 * chain with a low threshold. alice has a child `sender` and bob a child `receiver`: the STREAM
 * endpoints.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectorConfig } from '../../config/index.js';
import { ConnectorNode } from '../../core/index.js';
import { silentLogger } from '../../utils/logger.js';
import { CHALLENGE_PERIOD_S, DEMO_CHAIN_ID, DEV_MNEMONIC, devAddress, devPath, POLL_MS } from './chain.js';

/** ILP units (asset scale 9): what is owed before a claim is sent. */
export const SETTLE_THRESHOLD = 2_000n;
/** Token base units (18 decimals) per channel deposit: 10^6 tokens. */
export const CHANNEL_DEPOSIT = 10n ** 24n;
/** STREAM splits each payment into packets of at most this. */
export const SENDER_MAX_PACKET = 1_000n;

export interface DemoNode {
  readonly name: string;
  /** Its key: dev account `index`. */
  readonly index: number;
  readonly node: ConnectorNode;
}

interface Chain {
  readonly rpcUrl: string;
  readonly token: string;
  readonly registry: string;
}

function settlementOf(name: string, index: number, dir: string, chain: Chain): Partial<ConnectorConfig> {
  return {
    settlement: {
      ledgerSnapshotPath: join(dir, name, 'ledger-snapshot.json'),
      threshold: SETTLE_THRESHOLD,
      pollingIntervalMs: 5_000,
    },
    settlementInfra: {
      mnemonic: DEV_MNEMONIC,
      derivationPath: devPath(index),
      challengePeriodSeconds: CHALLENGE_PERIOD_S,
      minChallengePeriodSeconds: CHALLENGE_PERIOD_S,
      initialDeposit: CHANNEL_DEPOSIT,
      chainPollingIntervalMs: POLL_MS,
      watchIntervalMs: 2_000,
    },
    blockchain: {
      base: {
        rpcUrl: chain.rpcUrl,
        chainId: DEMO_CHAIN_ID,
        tokenAddress: chain.token,
        registryAddress: chain.registry,
      },
    },
  };
}

function make(
  name: string,
  index: number,
  dir: string,
  chain: Chain,
  extra: Partial<ConnectorConfig>,
): DemoNode {
  mkdirSync(join(dir, name), { recursive: true });
  const config: ConnectorConfig = {
    nodeId: name,
    btpServerPort: 0,
    healthCheckPort: 0,
    environment: 'development',
    explorer: { enabled: true, port: 0, host: '127.0.0.1' },
    ...settlementOf(name, index, dir, chain),
    ...extra,
  };
  return { name, index, node: new ConnectorNode(config, silentLogger(), { env: {} }) };
}

export const childName = (i: number): string => (i === 0 ? 'bob' : `child-${i + 1}`);

/** Starts hub, then the nodes that dial it; resolves once every link is up and settlement ready. */
export async function startNetwork(
  count: number,
  dir: string,
  chain: Chain,
  started: DemoNode[],
): Promise<void> {
  const children = Array.from({ length: count - 2 }, (_, i) => ({ name: childName(i), index: 3 + i }));
  const hub = make('hub', 2, dir, chain, {
    peers: [
      { id: 'alice', relation: 'peer', evmAddress: devAddress(1) },
      ...children.map((c) => ({ id: c.name, relation: 'child' as const, evmAddress: devAddress(c.index) })),
    ],
    routes: [{ prefix: 'g.alice', nextHop: 'alice' }],
  });
  started.push(hub);
  await hub.node.start();
  const hubUrl = `ws://127.0.0.1:${hub.node.btpPort}`;
  const alice = make('alice', 1, dir, chain, {
    peers: [
      { id: 'hub', url: hubUrl, relation: 'peer', evmAddress: devAddress(2) },
      { id: 'sender', relation: 'child', maxPacketAmount: SENDER_MAX_PACKET },
    ],
    routes: [{ prefix: 'g.hub', nextHop: 'hub' }],
  });
  const kids = children.map((c, i) =>
    make(c.name, c.index, dir, chain, {
      peers: [
        { id: 'hub', url: hubUrl, relation: 'parent', evmAddress: devAddress(2) },
        ...(i === 0 ? [{ id: 'receiver', relation: 'child' as const }] : []),
      ],
    }),
  );
  for (const n of [alice, ...kids]) {
    started.push(n);
    await n.node.start();
  }
  const links = [alice, ...kids].map(
    (n) =>
      new Promise<void>((resolve) => {
        if (n.node.isConnected('hub')) resolve();
        else n.node.once('peer:connected', () => resolve());
      }),
  );
  await Promise.all(links);
  // Each child's address comes from hub by IL-DCP, after its link is up.
  const assigned = kids.map(
    (n) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!n.node.getIlpAddress().startsWith('g.hub.')) return;
          n.node.off('address', check);
          resolve();
        };
        n.node.on('address', check);
        check();
      }),
  );
  await Promise.all(assigned);
  await Promise.all(started.map((n) => n.node.settlementReady()));
}
