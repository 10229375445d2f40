/**
 * The wiring of a node: every part built once, each given what it needs and no more. The
 * ConnectorNode keeps the API and the lifecycle; what is connected to what is read here.
 */

import { LinkManager } from '../btp/index.js';
import { CONTENT_TYPE, type ProtocolData } from '../codec/index.js';
import { allowNoAuth, type Env, type ResolvedConfig, resolvePeerSecret } from '../config/index.js';
import {
  ConnectorMetrics,
  EventRecorder,
  type ExplorerStatus,
  fromSettlementEvent,
  type GatewayCounters,
  newPacketCounts,
} from '../http/index.js';
import type { KmsHooks } from '../keys/index.js';
import type { Ledger } from '../ledger/index.js';
import type { CcpSpeaker } from '../routing/ccp/index.js';
import { RoutingTable } from '../routing/index.js';
import type { SettlementEvent } from '../settlement/index.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { Addressing } from './addressing.js';
import { type Admission, type BindingLog, createAdmission } from './admission.js';
import { BlsClient } from './bls-client.js';
import { type BtpDispatch, createBtpDispatch } from './btp-dispatch.js';
import type { Next, PacketContext, PipelineServices, Reply } from './context.js';
import { dataDirOf, NodeLedger } from './ledger-choice.js';
import { LocalDelivery } from './local-delivery.js';
import { NodeSettlement } from './node-settlement.js';
import { metricsSource, peerBalance } from './node-status.js';
import { NodeWallet } from './node-wallet.js';
import { PacketHandler } from './packet-handler.js';
import { createPaymentHandlerAdapter } from './payment-handler.js';
import { PeerManager } from './peer-manager.js';
import { PeerRegistry } from './peers.js';
import { composePipeline } from './pipeline.js';
import { FULFILLMENT_QUERY_SUB_PROTOCOL } from './reconcile/codec.js';
import { Reconciler } from './reconcile/reconciler.js';
import { createRouteLearning } from './route-learning.js';

export interface AssemblyOptions {
  config: ResolvedConfig;
  env: Env;
  logger: Logger;
  /** An embedder's ledger; default: chosen from the config at start. */
  ledger?: Ledger | undefined;
  maxTransitInFlight: number;
  /** The running Explorer's status, for /metrics; undefined while none runs. */
  explorerStatus: () => ExplorerStatus | undefined;
  /** The running x402 gateway's counters, for /metrics; undefined while none runs. */
  gatewayCounters: () => GatewayCounters | undefined;
  kms?: KmsHooks | undefined;
  /** Wraps open admission's bindings log (ConnectorNodeOptions.wrapAdmissionLog). */
  wrapAdmissionLog?: ((log: BindingLog) => BindingLog) | undefined;
}

/** What the parts tell the node, which turns it into its events. */
export interface NodeHooks {
  linkUp(peerId: string): void;
  linkDown(peerId: string): void;
  addressChanged(address: string): void;
  settlementEvent(event: SettlementEvent): void;
}

export interface NodeParts {
  /** The Explorer's event recorder; undefined when the Explorer is off. */
  readonly events: EventRecorder | undefined;
  readonly peers: PeerRegistry;
  readonly addressing: Addressing;
  readonly ledger: NodeLedger;
  readonly local: LocalDelivery;
  readonly links: LinkManager;
  readonly packets: PacketHandler;
  readonly peerManager: PeerManager;
  readonly settlement: NodeSettlement;
  /** The node's key and its chain clients (one per chain), shared by settlement and the gateway. */
  readonly wallet: NodeWallet;
  /** Settles Prepares that got no answer (a crash, a timeout) with their next hop. */
  readonly reconciler: Reconciler;
  readonly metrics: ConnectorMetrics;
  /** Standalone local delivery: packets for this node are POSTed to the business-logic server. */
  readonly bls: BlsClient | undefined;
  /** Composes the packet pipeline over the opened ledger; until then no packet is accepted. */
  composePipeline(ledger: Ledger): void;
  /** The node's own routes: its address, then the configured ones. */
  addConfiguredRoutes(): void;
  /** Open admission of unknown agents; undefined unless `btp.admission.mode` is `open`. */
  readonly admission: Admission | undefined;
  /** Route learning (CCP); undefined unless `ccp.enabled`. Started after the configured routes. */
  readonly speaker: CcpSpeaker | undefined;
}

export function assembleNode(o: AssemblyOptions, hooks: NodeHooks): NodeParts {
  const { config, logger } = o;
  const events = config.explorer.enabled
    ? new EventRecorder({ maxPacketEventsPerSecond: config.explorer.maxPacketEventsPerSecond ?? 1000 })
    : undefined;
  const peers = new PeerRegistry();
  const routes = new RoutingTable({
    onChange: (change, r) => {
      speaker?.tableChanged(r.prefix);
      events?.event({
        type: `route.${change}`,
        peerId: r.nextHop,
        destination: r.prefix,
        data:
          r.origin === undefined
            ? { priority: r.priority }
            : { origin: r.origin, path: r.path?.join(' ') ?? '' },
      });
    },
  });
  const ledger = new NodeLedger(config, logger, o.ledger);
  let dispatch: BtpDispatch = () => [];
  let admission: Admission | undefined;
  const links = new LinkManager({
    nodeId: config.nodeId,
    port: config.btpServerPort,
    limits: config.btp,
    logger,
    allowNoAuth: allowNoAuth(config, o.env),
    secretFor: (peerId) => resolvePeerSecret(peerId, o.env),
    onRequest: (peerId, packet) => dispatch(peerId, packet),
    admit: (claim) => admission?.admit(claim),
  });
  const addressing = new Addressing({
    nodeId: config.nodeId,
    configured: config.ilpAddress,
    routes,
    peers,
    links,
    requestTimeoutMs: config.btp.requestTimeoutMs,
    logger,
    onChange: (old, address) => {
      peerManager.readdressChildren(old, address);
      speaker?.addressChanged(routes.listRoutes().map((r) => r.prefix));
      events?.event({ type: 'address.changed', destination: address, data: { old } });
      hooks.addressChanged(address);
    },
  });
  const address = addressing.address;
  const speaker = createRouteLearning({ config, peers, routes, links, address, logger });
  const local = new LocalDelivery({
    address,
    logger,
    maxTransitInFlight: o.maxTransitInFlight,
    maxHoldTimeMs: config.packet.maxHoldTimeMs,
    minMessageWindowMs: config.packet.minMessageWindowMs,
    onTransit: events && ((ctx) => events.transit(ctx.source?.id, ctx.nextHop?.id, ctx.prepare)),
  });
  const wallet = new NodeWallet(config, logger, o.kms);
  const settlement = new NodeSettlement({
    config,
    logger,
    wallet,
    ledger: () => ledger.current,
    links,
    peers,
    onEvent: (event) => {
      events?.event(fromSettlementEvent(event));
      hooks.settlementEvent(event);
    },
  });
  let transferSeq = 0;
  const transferBase = BigInt(Date.now()) << 32n;
  const services: PipelineServices = {
    nodeId: config.nodeId,
    address,
    now: Date.now,
    minMessageWindowMs: config.packet.minMessageWindowMs,
    maxHoldTimeMs: config.packet.maxHoldTimeMs,
    peers,
    routes,
    ledger: ledger.current,
    links,
    local,
    perHopNotification: config.localDelivery.perHopNotification,
    reconcileInFlight: config.settlement?.reconcileInFlight === true,
    ccp: speaker,
    nextTransferId: () => transferBase + BigInt(++transferSeq),
    fulfilledTo: settlement.fulfilledTo(),
    logger,
  };
  const reconciler = new Reconciler({
    ledger: () => ledger.current,
    links,
    logger,
    fulfilledTo: services.fulfilledTo,
  });
  let pipeline: Next | undefined;
  const own = newPacketCounts();
  const metrics = new ConnectorMetrics(
    metricsSource({
      config,
      peers,
      links,
      address,
      own,
      balance: (peerId) => peerBalance(ledger.current, peers, config, peerId),
      packetsInFlight: () => packets.packetsInFlight,
      transitDropped: () => local.transitDropped,
      settlement: () => settlement.stats,
      explorer: o.explorerStatus,
      gateway: o.gatewayCounters,
      admission: () => admission?.counters(),
    }),
  );
  const recorder = {
    own,
    observeLatency: (s: number) => metrics.observeLatency(s),
    outcome:
      events &&
      ((ctx: PacketContext, reply: Reply, latencyMs: number) =>
        events.packet(
          ctx.source?.id,
          ctx.nextHop?.id,
          ctx.local,
          ctx.prepare,
          reply,
          ctx.outgoingAmount,
          latencyMs,
        )),
  };
  const packets = new PacketHandler((ctx) => pipeline!(ctx), address, logger, recorder);
  dispatch = createBtpDispatch([
    {
      name: 'ilp',
      handle: (peerId, data) => {
        const source = peers.get(peerId);
        if (source === undefined) throw new ConnectorError('ERR_PEER_UNKNOWN', `unknown peer ${peerId}`);
        return packets.handleBytes(source, data).then(ilpReply);
      },
    },
    { name: FULFILLMENT_QUERY_SUB_PROTOCOL, handle: (peerId, data) => reconciler.answer(peerId, data) },
    ...settlement.subProtocols(),
  ]);
  const peerManager = new PeerManager({
    config,
    peers,
    routes,
    ledger: () => ledger.current,
    links,
    logger,
    address,
    onChange: (change, peerId, relation) => {
      if (change === 'removed') {
        speaker?.linkDown(peerId);
        admission?.forget(peerId);
      }
      events?.event({ type: `peer.${change}`, peerId, data: { relation } });
    },
  });
  const dataDir = config.settlement?.ledgerDurability === 'off' ? undefined : dataDirOf(config);
  admission = createAdmission(
    {
      ...{ config, peers, routes, address, peerManager, logger, dataDir },
      ledger: () => ledger.current,
      wrapBindingLog: o.wrapAdmissionLog,
    },
    o.env,
  );
  links.on('link-up', (peerId: string) => {
    events?.event({ type: 'peer.connected', peerId });
    hooks.linkUp(peerId);
    settlement.linkUp(peerId);
    addressing.linkUp(peerId);
    reconciler.linkUp(peerId);
    speaker?.linkUp(peerId);
  });
  links.on('link-down', (peerId: string) => {
    events?.event({ type: 'peer.disconnected', peerId });
    hooks.linkDown(peerId);
    speaker?.linkDown(peerId);
  });
  return {
    events,
    peers,
    addressing,
    ledger,
    local,
    links,
    packets,
    peerManager,
    settlement,
    wallet,
    reconciler,
    metrics,
    bls: createBlsClient(config, logger, local),
    admission,
    composePipeline: (opened) => {
      pipeline = composePipeline({ ...services, ledger: opened });
    },
    addConfiguredRoutes: () => {
      routes.addRoute(address(), config.nodeId);
      for (const route of config.routes) routes.addRoute(route.prefix, route.nextHop, route.priority);
    },
    speaker,
  };
}

function ilpReply(data: Uint8Array): ProtocolData[] {
  return [{ protocolName: 'ilp', contentType: CONTENT_TYPE.octetStream, data }];
}

function createBlsClient(
  config: ResolvedConfig,
  logger: Logger,
  local: LocalDelivery,
): BlsClient | undefined {
  const { enabled, handlerUrl, timeout, authToken } = config.localDelivery;
  if (!enabled || handlerUrl === undefined) return undefined;
  const client = new BlsClient({
    handlerUrl,
    timeoutMs: timeout,
    logger,
    ...(authToken ? { authToken } : {}),
  });
  local.setHandler(createPaymentHandlerAdapter(client.handle, logger));
  return client;
}
