/**
 * Node under test: our ConnectorNode in its own process, BTP and health on ephemeral ports, logging
 * at warn. Tells the orchestrator its BTP port and every peer that authenticates; with
 * `settlement`, also every settlement event (claims sent, acknowledged, received, refused).
 *
 *   node dist/bench/targets/ours.js '{"nodeId":"n1","peers":[{"id":"sender","authToken":"s"}],"routes":[]}'
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectorConfig, ConnectorNode, type SettlementEvent } from '../../src/index.js';
import { createLogger } from '../../src/utils/logger.js';
import { type KmsBackendName, type KmsFixture, startKmsFixture } from '../../test/keys/kms/backends.js';
import { TestKey } from '../../test/keys/kms/test-key.js';
import {
  type ChainInfo,
  die,
  exitOnSignal,
  optionsFromArgv,
  type SettlementNote,
  tell,
} from '../harness/messages.js';
import { installAllocProbe } from './alloc-probe.js';
import { FEEDER, feedLearnedRoutes } from './feed-routes.js';

export interface OursOptions {
  nodeId: string;
  peers: Array<{ id: string; authToken: string; url?: string; evmAddress?: string }>;
  routes: Array<{ prefix: string; nextHop: string }>;
  /** Extra routes `g.bench-<i>` added after start (the config caps routes at 100k, the table at 1M). */
  extraRoutes?: { count: number; nextHop: string };
  logLevel?: 'warn' | 'error';
  /** Answer alloc-start/alloc-stop messages (bench/alloc-bench.ts). */
  allocProbe?: boolean;
  /** The durable default ledger (journal, fsync) in a temp dir; else the memory ledger. */
  durable?: boolean;
  /** In-flight records for reconciliation (`settlement.reconcileInFlight`, durable only). */
  reconcile?: boolean;
  /**
   * The Explorer on (target `ours-explorer`): recorder, store (in a temp dir) and server on a
   * free port, as a node runs by default; else off, so that bench nodes share no port.
   */
  explorer?: boolean;
  /** On-chain settlement against the run's chain (target `ours-settling`). */
  settlement?: OursSettlement;
  /** CCP on, and this many routes learned from a neighbour before 'listening' (--scale-learned). */
  learnedRoutes?: number;
}

/** Amounts are decimal strings: the options travel as JSON. */
export interface OursSettlement {
  chain: ChainInfo;
  privateKey: string;
  /** Channels and claims, kept across the cells of a run (a node restarts with its channel). */
  statePath: string;
  /** ILP units owed to a peer that make the node sign and send a claim. */
  threshold: string;
  /** Token base units deposited into a channel this node opens. */
  deposit: string;
  /** Token base units unredeemed before a received claim is redeemed on chain. */
  redeemMinimum: string;
  /**
   * Peers to open a channel to before reporting 'listening', so that no channel opening (two
   * chain transactions) falls in a measured window.
   */
  openTo: string[];
  /**
   * The key in this KMS backend instead of `settlementInfra.privateKey` (`ours-settling-kms`): the
   * real SDK against the local double of test/keys/kms, started in this process and holding the
   * same key. Its signing runs on this process's cores, so the figure is conservative: a real KMS
   * signs elsewhere and adds a network round trip per claim instead.
   */
  kms?: KmsBackendName;
}

/** Timers that would only add noise to a measured window: claims go by threshold, nothing is watched. */
const HOUR_MS = 3_600_000;
/** Receipt polling of the chain client: the node tests' value (anvil mines at once). */
const CHAIN_POLLING_MS = 20;
/** Within the bounds the fixture deploys the registry with (60 s .. 1 day). */
const CHALLENGE_PERIOD_S = 60;

/** Ledger settings, and a temp dir for a durable ledger that is removed when the process exits. */
function ledgerSettings(
  durable: boolean,
  reconcile: boolean,
): {
  ledgerDurability: 'off' | 'fsync';
  ledgerSnapshotPath?: string;
  reconcileInFlight?: boolean;
} {
  if (!durable) return { ledgerDurability: 'off' };
  const dir = mkdtempSync(join(tmpdir(), 'bench-ledger-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const ledger = { ledgerDurability: 'fsync' as const, ledgerSnapshotPath: join(dir, 'snapshot.json') };
  return { ...ledger, reconcileInFlight: reconcile };
}

/** The Explorer section: off, or on with a free port and its store in a temp dir removed at exit. */
function explorerSection(on: boolean): NonNullable<ConnectorConfig['explorer']> {
  if (!on) return { enabled: false };
  const dir = mkdtempSync(join(tmpdir(), 'bench-explorer-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { enabled: true, port: 0, storePath: join(dir, 'events.db') };
}

function settlementSections(
  s: OursSettlement,
  ledger: ReturnType<typeof ledgerSettings>,
  kms: KmsFixture | undefined,
): Pick<ConnectorConfig, 'settlement' | 'settlementInfra' | 'blockchain' | 'security'> {
  return {
    ...(kms === undefined ? {} : { security: kms.security() as ConnectorConfig['security'] }),
    settlement: { ...ledger, statePath: s.statePath, threshold: s.threshold, pollingIntervalMs: HOUR_MS },
    settlementInfra: {
      ...(kms === undefined ? { privateKey: s.privateKey } : {}),
      challengePeriodSeconds: CHALLENGE_PERIOD_S,
      minChallengePeriodSeconds: CHALLENGE_PERIOD_S,
      chainPollingIntervalMs: CHAIN_POLLING_MS,
      watchIntervalMs: HOUR_MS,
      initialDeposit: s.deposit,
      redeemMinimum: s.redeemMinimum,
    },
    blockchain: {
      base: {
        rpcUrl: s.chain.rpcUrl,
        chainId: s.chain.chainId,
        tokenAddress: s.chain.token,
        registryAddress: s.chain.registry,
      },
    },
  };
}

function note(e: SettlementEvent): SettlementNote {
  const n: SettlementNote = { type: 'settlement', event: e.type };
  if ('ilpAmount' in e) n.ilpAmount = String(e.ilpAmount);
  if ('message' in e) n.message = e.message;
  return n;
}

/** Waits for the chain, then opens the channels that are not open yet. */
async function openChannels(node: ConnectorNode, s: OursSettlement): Promise<void> {
  await node.settlementReady();
  for (const peerId of s.openTo) {
    const { outgoing } = await node.getChannelState(peerId);
    if (outgoing?.status !== 'open') await node.openChannel(peerId, BigInt(s.deposit));
  }
}

async function main(): Promise<void> {
  exitOnSignal();
  const opts = optionsFromArgv<OursOptions>();
  if (opts.allocProbe === true) installAllocProbe();
  const level = opts.logLevel ?? 'warn';
  const kmsBackend = opts.settlement?.kms;
  const kms =
    kmsBackend === undefined
      ? undefined
      : await startKmsFixture(kmsBackend, new TestKey(opts.settlement!.privateKey as `0x${string}`));
  const node = new ConnectorNode(
    {
      nodeId: opts.nodeId,
      btpServerPort: 0,
      healthCheckPort: 0,
      environment: 'development',
      logLevel: level,
      peers:
        opts.learnedRoutes === undefined
          ? opts.peers
          : [...opts.peers, { id: FEEDER.username, authToken: FEEDER.token }],
      routes: opts.routes,
      ...(opts.learnedRoutes === undefined ? {} : { ccp: { enabled: true } }),
      explorer: explorerSection(opts.explorer === true),
      ...(opts.settlement === undefined
        ? { settlement: ledgerSettings(opts.durable === true, opts.reconcile === true) }
        : settlementSections(
            opts.settlement,
            ledgerSettings(opts.durable === true, opts.reconcile === true),
            kms,
          )),
    },
    createLogger(opts.nodeId, level),
    kms === undefined ? { env: {} } : { env: {}, kms: kms.hooks() },
  );
  node.on('peer:connected', (id: string) => tell({ type: 'peer', id }));
  node.on('settlement', (e: SettlementEvent) => tell(note(e)));
  await node.start();
  if (opts.settlement !== undefined) await openChannels(node, opts.settlement);
  const extra = opts.extraRoutes;
  if (extra !== undefined) {
    for (let i = 0; i < extra.count; i++) node.addRoute(`g.bench-${i}`, extra.nextHop);
  }
  if (opts.learnedRoutes !== undefined) {
    const startedAt = Date.now();
    const feeder = await feedLearnedRoutes(node.btpPort, opts.learnedRoutes);
    process.on('exit', () => void feeder.disconnect());
    const learned = node.listRoutes().filter((r) => r.origin === 'learned').length;
    if (learned !== opts.learnedRoutes)
      die(new Error(`learned ${learned} routes, expected ${opts.learnedRoutes}`));
    process.stderr.write(`n1 learned ${learned} routes by CCP in ${Date.now() - startedAt} ms\n`);
  }
  tell({ type: 'listening', port: node.btpPort });
}

main().catch(die);
