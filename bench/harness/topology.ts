/**
 * The nodes of one cell, each in its own process: a line of 1 or 2 hops between the load sender
 * and the load receiver, for our connector, the reference ilp-connector, or the byte relay.
 *
 *   1 hop:  sender -> n1 -> receiver
 *   2 hops: sender -> n1 -> n2 -> receiver
 *
 * Credentials: the sender authenticates as `sender`/`s`, the receiver as `receiver`/`r`, and n1
 * as `n1`/`n` at n2. The destination is g.receiver.bench; every node routes g.receiver onwards.
 * `ours-settling` (1 hop only) adds a verifying node beside the receiver: see settlement.ts.
 */
import type { ReceiverOptions } from '../load/receiver.js';
import type { OursOptions } from '../targets/ours.js';
import type { ReferenceOptions } from '../targets/reference.js';
import type { RelayOptions } from '../targets/relay.js';
import { freePort } from './ports.js';
import { Child, isType, type Measured } from './proc.js';
import { addressOf, ClaimCounter, nodeSettlement, type SettlementRun } from './settlement.js';

/**
 * `relay` forwards each frame with its own write, as `ws` does for every send(); `relay-batch`
 * coalesces the frames forwarded in one tick into one write per socket: the higher ceiling.
 * `ours` keeps its books in memory (ledgerDurability off); `ours-durable` is the product's
 * default, the journal with fsync group commit, in a temp dir; `ours-explorer` is `ours-durable`
 * with the Explorer on (recorder, event store, server), which is how a node runs by default
 * (the other `ours` targets turn it off). `ours-reconcile` is `ours-durable` with in-flight
 * records for reconciliation (`settlement.reconcileInFlight`). `ours-settling` is `ours` with
 * on-chain settlement on; it needs an anvil, so it runs only when named (`--only`).
 */
export const TARGETS = [
  'relay',
  'relay-batch',
  'ours',
  'ours-durable',
  'ours-explorer',
  'ours-reconcile',
  'reference',
  'ours-settling',
  'ours-settling-kms',
] as const;
export type Target = (typeof TARGETS)[number];
/** The settling targets need an anvil: they run only when named. */
export const SETTLING_TARGETS: readonly Target[] = ['ours-settling', 'ours-settling-kms'];
export const DEFAULT_TARGETS: readonly Target[] = TARGETS.filter((t) => !SETTLING_TARGETS.includes(t));

/** `ours-settling` measures what the acceptance asks for, 1 hop; its 2-hop cells are skipped. */
export function runsHops(target: Target, hops: number): boolean {
  return !SETTLING_TARGETS.includes(target) || hops === 1;
}

export const SENDER = { username: 'sender', token: 's' } as const;
export const RECEIVER = { username: 'receiver', token: 'r' } as const;
const LINK_TOKEN = 'n';
const RECEIVER_ROUTE = 'g.receiver';
export const STARTUP_TIMEOUT_MS = 60_000;

export interface Topology {
  /** Node processes, upstream first. */
  nodes: Child[];
  senderUrl: string;
  receiverUrl: string;
  /** Resolves when every node sees every link (call once the load clients authenticated). */
  linked(): Promise<void>;
  /** Processes beside the line whose CPU is reported too (the verifier, the chain, anvil). */
  helpers?: Measured[];
  /** What the load receiver needs beyond url and credentials (the claim relay). */
  receiverExtra?: Pick<ReceiverOptions, 'claimRelay'>;
  /** Settlement events over the measured window (`ours-settling`). */
  claims?: ClaimCounter;
}

const url = (port: number) => `ws://127.0.0.1:${port}`;

async function listening(child: Child): Promise<number> {
  return (await child.waitFor(isType('listening'), STARTUP_TIMEOUT_MS, 'listening port')).port;
}

function peersSeen(child: Child, ids: string[]): Promise<unknown> {
  const seen = (id: string) =>
    child.waitFor(
      (m): m is { type: 'peer'; id: string } => m.type === 'peer' && m.id === id,
      STARTUP_TIMEOUT_MS,
      `peer ${id}`,
    );
  return Promise.all(ids.map(seen));
}

export interface TopologyOptions {
  /** Node flags of the node processes (e.g. --cpu-prof). */
  execArgv: string[];
  /** Routes added to our last node (ours only; the route-table scale scenario). */
  extraRoutes?: number;
  /** Routes our node learns by CCP before the window (ours, 1 hop only). */
  learnedRoutes?: number;
  /** The run's chain: required by `ours-settling`. */
  settlement?: SettlementRun;
}

export async function startTopology(target: Target, hops: number, opts: TopologyOptions): Promise<Topology> {
  if (hops !== 1 && hops !== 2) throw new Error(`hops must be 1 or 2, got ${hops}`);
  if (SETTLING_TARGETS.includes(target)) {
    if (opts.settlement === undefined) throw new Error(`${target} needs the run to start a chain`);
    if (hops !== 1) throw new Error(`${target} runs 1 hop only`);
    return startSettling(opts.execArgv, opts.settlement, target === 'ours-settling-kms');
  }
  if (
    target === 'ours' ||
    target === 'ours-durable' ||
    target === 'ours-explorer' ||
    target === 'ours-reconcile'
  ) {
    const durable = target !== 'ours';
    const explorer = target === 'ours-explorer';
    const reconcile = target === 'ours-reconcile';
    const learned = opts.learnedRoutes === undefined ? {} : { learnedRoutes: opts.learnedRoutes };
    return startOurs(hops, opts.execArgv, opts.extraRoutes ?? 0, {
      durable,
      explorer,
      reconcile,
      ...learned,
    });
  }
  if (target === 'reference') return startReference(hops, opts.execArgv);
  return startRelay(hops, opts.execArgv, target === 'relay-batch');
}

function fork<T>(name: string, script: string, options: T, execArgv: string[]): Child {
  return Child.fork(name, script, options, execArgv);
}

async function startOurs(
  hops: number,
  execArgv: string[],
  extraRoutes: number,
  node: Pick<OursOptions, 'durable' | 'explorer' | 'reconcile' | 'learnedRoutes'>,
): Promise<Topology> {
  const sender = { id: SENDER.username, authToken: SENDER.token };
  const receiver = { id: RECEIVER.username, authToken: RECEIVER.token };
  const toReceiver = { prefix: RECEIVER_ROUTE, nextHop: RECEIVER.username };
  const extra = extraRoutes > 0 ? { extraRoutes: { count: extraRoutes, nextHop: RECEIVER.username } } : {};
  if (hops === 1) {
    const n1 = fork<OursOptions>(
      'ours n1',
      'targets/ours.js',
      { nodeId: 'n1', peers: [sender, receiver], routes: [toReceiver], ...node, ...extra },
      execArgv,
    );
    const port = await listening(n1);
    return {
      nodes: [n1],
      senderUrl: url(port),
      receiverUrl: url(port),
      linked: async () => void (await peersSeen(n1, ['sender', 'receiver'])),
    };
  }
  const n2 = fork<OursOptions>(
    'ours n2',
    'targets/ours.js',
    {
      nodeId: 'n2',
      peers: [{ id: 'n1', authToken: LINK_TOKEN }, receiver],
      routes: [toReceiver],
      ...node,
      ...extra,
    },
    execArgv,
  );
  const port2 = await listening(n2);
  const n1 = fork<OursOptions>(
    'ours n1',
    'targets/ours.js',
    {
      nodeId: 'n1',
      peers: [sender, { id: 'n2', authToken: LINK_TOKEN, url: url(port2) }],
      routes: [{ prefix: RECEIVER_ROUTE, nextHop: 'n2' }],
      ...node,
    },
    execArgv,
  );
  const port1 = await listening(n1);
  return {
    nodes: [n1, n2],
    senderUrl: url(port1),
    receiverUrl: url(port2),
    linked: async () =>
      void (await Promise.all([peersSeen(n1, ['sender', 'n2']), peersSeen(n2, ['n1', 'receiver'])])),
  };
}

/** `ours` at 1 hop with settlement on at n1, and the verifier the receiver's claims go to. */
async function startSettling(execArgv: string[], run: SettlementRun, kms: boolean): Promise<Topology> {
  const verifier = fork<OursOptions>(
    'verifier',
    'targets/ours.js',
    {
      nodeId: RECEIVER.username,
      peers: [{ id: 'n1', authToken: LINK_TOKEN, evmAddress: addressOf(run, 'payer') }],
      routes: [],
      settlement: nodeSettlement(run, 'verifier', []),
    },
    [],
  );
  const verifierPort = await listening(verifier);
  const receiver = {
    id: RECEIVER.username,
    authToken: RECEIVER.token,
    evmAddress: addressOf(run, 'verifier'),
  };
  const n1 = fork<OursOptions>(
    'ours n1',
    'targets/ours.js',
    {
      nodeId: 'n1',
      peers: [{ id: SENDER.username, authToken: SENDER.token }, receiver],
      routes: [{ prefix: RECEIVER_ROUTE, nextHop: RECEIVER.username }],
      settlement: nodeSettlement(run, 'payer', [RECEIVER.username], kms ? run.kmsBackend : undefined),
    },
    execArgv,
  );
  const port = await listening(n1);
  return {
    nodes: [n1],
    senderUrl: url(port),
    receiverUrl: url(port),
    linked: async () =>
      void (await Promise.all([peersSeen(n1, ['sender', 'receiver']), peersSeen(verifier, ['n1'])])),
    helpers: [verifier, ...run.measured()],
    receiverExtra: { claimRelay: { url: url(verifierPort), username: 'n1', token: LINK_TOKEN } },
    claims: new ClaimCounter(n1, verifier),
  };
}

async function startReference(hops: number, execArgv: string[]): Promise<Topology> {
  const senderPort = await freePort();
  const receiverPort = await freePort();
  const senderAccount = { id: SENDER.username, listen: { port: senderPort, secret: SENDER.token } };
  const receiverAccount = { id: RECEIVER.username, listen: { port: receiverPort, secret: RECEIVER.token } };
  const toReceiver = { targetPrefix: RECEIVER_ROUTE, peerId: RECEIVER.username };
  const ready = (c: Child) => c.waitFor(isType('ready'), STARTUP_TIMEOUT_MS, 'ready');
  const urls = { senderUrl: url(senderPort), receiverUrl: url(receiverPort) };
  if (hops === 1) {
    const n1 = fork<ReferenceOptions>(
      'reference n1',
      'targets/reference.js',
      { ilpAddress: 'g.n1', accounts: [senderAccount, receiverAccount], routes: [toReceiver] },
      execArgv,
    );
    return { nodes: [n1], ...urls, linked: async () => void (await ready(n1)) };
  }
  const linkPort = await freePort();
  const n2 = fork<ReferenceOptions>(
    'reference n2',
    'targets/reference.js',
    {
      ilpAddress: 'g.n2',
      accounts: [{ id: 'n1', listen: { port: linkPort, secret: LINK_TOKEN } }, receiverAccount],
      routes: [toReceiver],
    },
    execArgv,
  );
  const n1 = fork<ReferenceOptions>(
    'reference n1',
    'targets/reference.js',
    {
      ilpAddress: 'g.n1',
      accounts: [senderAccount, { id: 'n2', server: `btp+ws://n1:${LINK_TOKEN}@127.0.0.1:${linkPort}` }],
      routes: [{ targetPrefix: RECEIVER_ROUTE, peerId: 'n2' }],
    },
    execArgv,
  );
  return { nodes: [n1, n2], ...urls, linked: async () => void (await Promise.all([ready(n1), ready(n2)])) };
}

async function startRelay(hops: number, execArgv: string[], batch: boolean): Promise<Topology> {
  if (hops === 1) {
    const r1 = fork<RelayOptions>('relay r1', 'targets/relay.js', { batch }, execArgv);
    const port = await listening(r1);
    return {
      nodes: [r1],
      senderUrl: url(port),
      receiverUrl: url(port),
      linked: async () => void (await peersSeen(r1, ['sender', 'receiver'])),
    };
  }
  const r2 = fork<RelayOptions>('relay r2', 'targets/relay.js', { batch }, execArgv);
  const port2 = await listening(r2);
  const r1 = fork<RelayOptions>('relay r1', 'targets/relay.js', { next: url(port2), batch }, execArgv);
  const port1 = await listening(r1);
  return {
    nodes: [r1, r2],
    senderUrl: url(port1),
    receiverUrl: url(port2),
    linked: async () =>
      void (await Promise.all([peersSeen(r1, ['next', 'sender']), peersSeen(r2, ['relay', 'receiver'])])),
  };
}
