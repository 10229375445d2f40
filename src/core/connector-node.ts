/**
 * ConnectorNode: the composition root. It owns the config, the peers, the routing table, the
 * ledger, the BTP links, the packet pipeline and the health server, and exposes the spec's API.
 */
import { EventEmitter } from 'node:events';
import { dirname, join } from 'node:path';
import { BtpRemoteError, LinkManager } from '../btp/index.js';
import {
  type BtpMessage,
  type BtpTransfer,
  CONTENT_TYPE,
  encodePrepare,
  type ProtocolData,
} from '../codec/index.js';
import {
  allowNoAuth,
  ConfigLoader,
  type ConnectorConfig,
  type Env,
  type ResolvedConfig,
  resolvePeerSecret,
} from '../config/index.js';
import {
  type AdminNode,
  AdminServer,
  ConnectorMetrics,
  HealthServer,
  type MetricsSource,
  type NodeHealth,
  newPacketCounts,
  type PacketCounts,
} from '../http/index.js';
import { createSigner } from '../keys/index.js';
import type { Ledger } from '../ledger/index.js';
import { RoutingTable } from '../routing/index.js';
import {
  ChannelStore,
  type ChannelView,
  CLAIM_SUB_PROTOCOL,
  CLOSE_SUB_PROTOCOL,
  SettlementEngine,
  type SettlementEvent,
  settlementSpec,
} from '../settlement/index.js';
import type {
  ChannelMetadata,
  DeploymentMode,
  ILPFulfillPacket,
  ILPRejectPacket,
  LocalDeliveryHandler,
  PaymentHandler,
  PeerAccountBalance,
  PeerChannelState,
  PeerInfo,
  PeerRegistrationRequest,
  RemovePeerResult,
  RouteInfo,
  SendPacketParams,
} from '../types/index.js';
import { ConnectorError, ConnectorNotStartedError } from '../utils/errors.js';
import { createLogger, type Logger } from '../utils/logger.js';
import { VERSION } from '../utils/version.js';
import { BlsClient } from './bls-client.js';
import type { Next, PipelineServices } from './context.js';
import { fetchIldcp } from './ildcp-client.js';
import { DEFAULT_SNAPSHOT_PATH, defaultLedger, openLedger } from './ledger-choice.js';
import { LocalDelivery } from './local-delivery.js';
import { PacketHandler } from './packet-handler.js';
import { createPaymentHandlerAdapter } from './payment-handler.js';
import { PeerManager } from './peer-manager.js';
import { PeerRegistry, peerAccount, SELF_ACCOUNT } from './peers.js';
import { composePipeline } from './pipeline.js';

export interface ConnectorNodeOptions {
  /** Environment for ${VAR} substitution, overrides and BTP secrets (default process.env). */
  env?: Env;
  /** Ledger backend (default: in-memory). */
  ledger?: Ledger;
  /** Bound on concurrent per-hop transit notifications. */
  maxTransitInFlight?: number;
}

type State = NodeHealth['state'];

/**
 * Events: 'peer:connected' (peerId), 'peer:disconnected' (peerId), 'address' (ilpAddress),
 * 'settlement' (a SettlementEvent: claims sent, received, refused, redeemed, channels).
 */
export class ConnectorNode extends EventEmitter {
  readonly config: ResolvedConfig;
  private readonly logger: Logger;
  private readonly env: Env;
  private state: State = 'new';
  private startedAtMs: number | undefined;
  private ilpAddress: string;
  private readonly peers = new PeerRegistry();
  private readonly routes = new RoutingTable();
  /** Chosen at start: TigerBeetle may replace the default, or fail and leave it (ledger-choice.ts). */
  private ledger: Ledger;
  private readonly ledgerGiven: boolean;
  private pipeline: Next | undefined;
  private readonly local: LocalDelivery;
  private readonly links: LinkManager;
  private readonly packets: PacketHandler;
  private readonly peerManager: PeerManager;
  private services: PipelineServices;
  private health: HealthServer | undefined;
  private admin: AdminServer | undefined;
  private readonly bls: BlsClient | undefined;
  private readonly metrics: ConnectorMetrics;
  /** On-chain settlement, when configured (settlement/chain-setup.ts decides). */
  private readonly settlement: SettlementEngine | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private transferSeq = 0;
  private readonly transferBase = BigInt(Date.now()) << 32n;

  constructor(config: ConnectorConfig | string, logger?: Logger, options: ConnectorNodeOptions = {}) {
    super();
    this.env = options.env ?? process.env;
    this.config = ConfigLoader.load(config, { env: this.env });
    this.logger = logger ?? createLogger(this.config.nodeId, this.config.logLevel);
    this.ilpAddress = this.config.ilpAddress ?? `g.${this.config.nodeId}`;
    this.ledgerGiven = options.ledger !== undefined;
    this.ledger = options.ledger ?? defaultLedger(this.config, this.logger);
    this.local = new LocalDelivery({
      address: () => this.ilpAddress,
      logger: this.logger,
      maxTransitInFlight: options.maxTransitInFlight ?? 1000,
      maxHoldTimeMs: this.config.packet.maxHoldTimeMs,
      minMessageWindowMs: this.config.packet.minMessageWindowMs,
    });
    this.links = new LinkManager({
      nodeId: this.config.nodeId,
      port: this.config.btpServerPort,
      limits: this.config.btp,
      logger: this.logger,
      allowNoAuth: allowNoAuth(this.config, this.env),
      secretFor: (peerId) => resolvePeerSecret(peerId, this.env),
      onRequest: (peerId, packet) => this.onBtpRequest(peerId, packet),
    });
    this.services = {
      nodeId: this.config.nodeId,
      address: () => this.ilpAddress,
      now: Date.now,
      minMessageWindowMs: this.config.packet.minMessageWindowMs,
      maxHoldTimeMs: this.config.packet.maxHoldTimeMs,
      peers: this.peers,
      routes: this.routes,
      ledger: this.ledger,
      links: this.links,
      local: this.local,
      perHopNotification: this.config.localDelivery.perHopNotification,
      nextTransferId: () => this.transferBase + BigInt(++this.transferSeq),
      logger: this.logger,
    };
    this.settlement = this.createSettlement();
    if (this.settlement !== undefined) {
      const engine = this.settlement;
      this.services = { ...this.services, fulfilledTo: (peerId) => engine.fulfilled(peerId) };
    }
    this.links.on('link-up', (peerId: string) => this.onLinkUp(peerId));
    this.links.on('link-down', (peerId: string) => this.emit('peer:disconnected', peerId));
    const own = newPacketCounts();
    this.metrics = new ConnectorMetrics(this.metricsSource(own));
    const recorder = { own, observeLatency: (s: number) => this.metrics.observeLatency(s) };
    // The pipeline is composed at start, once the ledger is known; until then nothing is accepted.
    const pipeline: Next = (ctx) => this.pipeline!(ctx);
    this.packets = new PacketHandler(pipeline, () => this.ilpAddress, this.logger, recorder);
    this.bls = this.createBlsClient();
    this.peerManager = new PeerManager({
      config: this.config,
      peers: this.peers,
      routes: this.routes,
      ledger: () => this.ledger,
      links: this.links,
      logger: this.logger,
      address: () => this.ilpAddress,
    });
  }

  // ── lifecycle ────────────────────────────────────────────────────────────

  start(): Promise<void> {
    if (this.state !== 'new') {
      return Promise.reject(new ConnectorError('ERR_ALREADY_STARTED', `cannot start: node is ${this.state}`));
    }
    this.state = 'starting';
    this.starting = this.startUp();
    return this.starting;
  }

  private async startUp(): Promise<void> {
    try {
      this.ledger = this.ledgerGiven
        ? await this.ledger.open().then(() => this.ledger)
        : await openLedger(this.config, this.logger, this.ledger);
      this.pipeline = composePipeline({ ...this.services, ledger: this.ledger });
      await this.ledger.createAccount(SELF_ACCOUNT);
      // Before the links: claims that arrive need it, and its saved claims are booked again.
      await this.settlement?.start();
      this.routes.addRoute(this.ilpAddress, this.config.nodeId);
      for (const route of this.config.routes)
        this.routes.addRoute(route.prefix, route.nextHop, route.priority);
      await this.links.start();
      for (const peer of this.config.peers) await this.peerManager.add(peer);
      this.health = new HealthServer(
        () => this.healthStatus(),
        () => this.metrics.scrape(),
      );
      await this.health.listen(this.config.healthCheckPort);
      await this.startAdminApi();
      this.state = 'started';
      this.startedAtMs = Date.now();
      this.logger.info(
        {
          nodeId: this.config.nodeId,
          ilpAddress: this.ilpAddress,
          btpPort: this.links.port,
          healthPort: this.health.port,
          adminPort: this.admin?.port,
          mode: this.getDeploymentMode(),
        },
        'connector started',
      );
    } catch (err) {
      this.state = 'stopping';
      await this.release();
      this.state = 'stopped';
      throw err;
    }
  }

  /** Graceful: packets in flight are answered, then links, servers and timers are closed. */
  stop(): Promise<void> {
    // Every caller gets the same stop: a second call (a signal during an admin stop) must not
    // return before the ledger is closed.
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<void> {
    // A stop during start waits for the start to finish (or fail), then stops what it started.
    if (this.state === 'starting') await this.starting?.catch(() => undefined);
    if (this.state === 'stopped' || this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    const drained = await this.packets.drain(this.config.packet.maxHoldTimeMs + 1000);
    if (!drained)
      this.logger.warn({ inFlight: this.packets.packetsInFlight }, 'stopped with packets still in flight');
    // Replies of the last packets reach ws.send() through promise continuations only; one turn
    // of the event loop lets every one of them run before the sockets close.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.release();
    this.state = 'stopped';
    this.logger.info({ nodeId: this.config.nodeId }, 'connector stopped');
  }

  private async release(): Promise<void> {
    const results = await Promise.allSettled([this.links.stop(), this.health?.close(), this.admin?.close()]);
    this.bls?.close();
    await this.settlement
      ?.stop()
      .catch((err: unknown) => this.logger.error({ err }, 'settlement stop failed'));
    await this.ledger.close().catch((err: unknown) => this.logger.error({ err }, 'ledger close failed'));
    for (const r of results)
      if (r.status === 'rejected') this.logger.error({ err: r.reason }, 'shutdown step failed');
  }

  // ── packets ──────────────────────────────────────────────────────────────

  /** Not async: the reply is one continuation of the packet path's promise, not an async frame. */
  private onBtpRequest(
    peerId: string,
    packet: BtpMessage | BtpTransfer,
  ): Promise<ProtocolData[]> | ProtocolData[] {
    const source = this.peers.get(peerId);
    for (const entry of packet.protocolData) {
      if (entry.protocolName === 'ilp') {
        if (source === undefined) throw new ConnectorError('ERR_PEER_UNKNOWN', `unknown peer ${peerId}`);
        return this.packets.handleBytes(source, entry.data).then(ilpReply);
      }
      if (entry.protocolName === CLAIM_SUB_PROTOCOL || entry.protocolName === CLOSE_SUB_PROTOCOL) {
        if (this.settlement === undefined)
          throw new BtpRemoteError('F00', 'NotAcceptedError', 'settlement is not enabled on this node');
        return entry.protocolName === CLAIM_SUB_PROTOCOL
          ? this.settlement.receiveClaim(peerId, entry.data)
          : this.settlement.receiveClose(peerId, entry.data);
      }
    }
    return [];
  }

  async sendPacket(params: SendPacketParams): Promise<ILPFulfillPacket | ILPRejectPacket> {
    this.assertStarted('send a packet');
    const prepare = {
      type: 12 as const,
      destination: params.destination,
      amount: params.amount,
      executionCondition: params.executionCondition,
      expiresAt: params.expiresAt,
      data: params.data ?? new Uint8Array(0),
    };
    const raw = encodePrepare(prepare);
    const reply = await this.packets.handle(undefined, raw, prepare);
    if (reply.type === 13)
      return { type: 13, fulfillment: asBuffer(reply.fulfillment), data: asBuffer(reply.data) };
    const { code, triggeredBy, message, data } = reply;
    return { type: 14, code, triggeredBy, message, data: asBuffer(data) };
  }

  setLocalDeliveryHandler(handler: LocalDeliveryHandler): void {
    this.local.setHandler(handler);
  }

  setPacketHandler(handler: PaymentHandler): void {
    this.local.setHandler(createPaymentHandlerAdapter(handler, this.logger));
  }

  // ── peers and routes ─────────────────────────────────────────────────────

  async registerPeer(request: PeerRegistrationRequest): Promise<PeerInfo> {
    this.assertStarted('register a peer');
    await this.peerManager.register(request);
    return this.peerManager.info(request.id);
  }

  async removePeer(peerId: string, removeRoutes = true): Promise<RemovePeerResult> {
    this.assertStarted('remove a peer');
    return this.peerManager.remove(peerId, removeRoutes);
  }

  listPeers(): PeerInfo[] {
    return this.peerManager.list();
  }

  listRoutes(): RouteInfo[] {
    return this.routes.listRoutes();
  }

  addRoute(prefix: string, nextHop: string, priority = 0): void {
    if (nextHop !== this.config.nodeId && !this.peers.has(nextHop)) {
      throw new ConnectorError('ERR_PEER_UNKNOWN', `cannot add route ${prefix}: no peer ${nextHop}`);
    }
    this.routes.addRoute(prefix, nextHop, priority);
  }

  /** Routes the node manages itself (its own address, children, the parent) are refused. */
  removeRoute(prefix: string): void {
    const managedBy = this.routeManager(prefix);
    if (managedBy !== undefined) {
      throw new ConnectorError(
        'ERR_ROUTE_INVALID',
        `route ${prefix} is ${managedBy}; it cannot be removed alone`,
      );
    }
    this.routes.removeRoute(prefix);
  }

  private routeManager(prefix: string): string | undefined {
    if (prefix === this.ilpAddress) return "this node's own address";
    if (prefix === '' && this.peers.parent() !== undefined)
      return "the parent's default route: remove the parent";
    for (const p of this.peers.all()) {
      if (p.settings.relation === 'child' && prefix === `${this.ilpAddress}.${p.id}`)
        return `child ${p.id}'s address: remove the peer instead`;
    }
    return undefined;
  }

  // ── balances and settlement ──────────────────────────────────────────────

  async getBalance(peerId: string): Promise<PeerAccountBalance> {
    const balance = await this.ledger.getBalance(`peer:${peerId}`);
    if (balance === undefined) throw new ConnectorError('ERR_PEER_UNKNOWN', `no account for peer ${peerId}`);
    const peer = this.peers.get(peerId);
    return {
      peerId,
      tokenId: peer?.settings.assetCode ?? this.config.asset.code,
      debitBalance: balance.debitsPosted,
      creditBalance: balance.creditsPosted,
      netBalance: balance.creditsPosted - balance.debitsPosted,
      pendingDebit: balance.debitsPending,
      pendingCredit: balance.creditsPending,
    };
  }

  /**
   * Opens a payment channel to the peer's `evmAddress` with `amount` token base units, or adds
   * them to the open one. Settlement opens channels by itself when it needs one; this is for
   * operators who want to deposit ahead.
   */
  async openChannel(peerId: string, amount: bigint): Promise<void> {
    await this.openChannelView(peerId, amount);
  }

  /** The peer's current channels in each direction (undefined where there is none). */
  async getChannelState(peerId: string): Promise<PeerChannelState> {
    this.assertStarted('read channel state');
    const engine = this.requireSettlement(`no channel state for ${peerId}`);
    if (!this.peers.has(peerId)) throw new ConnectorError('ERR_PEER_UNKNOWN', `no peer ${peerId}`);
    const { outgoing, incoming } = engine.channelsOf(peerId);
    const state: PeerChannelState = { peerId };
    if (outgoing !== undefined) state.outgoing = channelMetadata(outgoing);
    if (incoming !== undefined) state.incoming = channelMetadata(incoming);
    return state;
  }

  /** Every channel this node has had, settled ones included. */
  listChannels(): ChannelMetadata[] {
    const engine = this.requireSettlement('cannot list payment channels');
    return engine.listChannels().map(channelMetadata);
  }

  /** Settles what we owe the peer now, whatever the threshold; resolves once the claim is sent, rejects with why it could not be. */
  async settleNow(peerId: string): Promise<void> {
    this.assertStarted('settle');
    await this.requireSettlement(`cannot settle with ${peerId}`).settle(peerId, 'manual');
  }

  /**
   * Closes the channel with the peer. `outgoing` (ours): first asks the peer to co-sign a
   * cooperative settle (one transaction, the rest of the deposit back at once); if it does not,
   * or `cooperative` is false, starts the challenge period and settles once it is over.
   * `incoming` (the peer's): redeems its latest claim and settles at once.
   */
  async closeChannel(
    peerId: string,
    direction: 'outgoing' | 'incoming' = 'outgoing',
    options: { cooperative?: boolean } = {},
  ): Promise<void> {
    this.assertStarted('close a channel');
    const engine = this.requireSettlement(`cannot close a channel with ${peerId}`);
    await engine.closeChannel(peerId, direction, options.cooperative ?? true);
  }

  /** Chain ready, for callers that must wait before acting (tests, scripts). */
  async settlementReady(chain?: string): Promise<void> {
    await this.requireSettlement('settlement is not enabled').chainReady(chain);
  }

  /** One pass of the channel watcher now (it also runs every `watchIntervalMs`). */
  async watchChannels(): Promise<void> {
    await this.requireSettlement('settlement is not enabled').watch();
  }

  private async openChannelView(peerId: string, amount: bigint): Promise<ChannelMetadata> {
    this.assertStarted('open a channel');
    const engine = this.requireSettlement(`cannot open a channel with ${peerId}`);
    return channelMetadata(await engine.openChannel(peerId, amount));
  }

  private requireSettlement(what: string): SettlementEngine {
    if (this.settlement === undefined) {
      throw new ConnectorError(
        'ERR_SETTLEMENT_UNAVAILABLE',
        `${what}: settlement is not configured on this node (settlementInfra, EVM_PRIVATE_KEY)`,
      );
    }
    return this.settlement;
  }

  private createSettlement(): SettlementEngine | undefined {
    const spec = settlementSpec(this.config);
    if (spec === undefined) return undefined;
    const signer = createSigner(this.config);
    if (
      this.config.environment === 'production' &&
      (signer.backend === 'env-key' || signer.backend === 'hd-wallet')
    ) {
      this.logger.warn(
        { backend: signer.backend, address: signer.address },
        'settlement signs with a key held in this process (KEY_BACKEND=env): fine for development, use a KMS backend in production',
      );
    }
    const s = this.config.settlement;
    const statePath =
      s?.statePath ?? join(dirname(s?.ledgerSnapshotPath ?? DEFAULT_SNAPSHOT_PATH), 'settlement-state.json');
    return new SettlementEngine({
      spec,
      signer,
      store: new ChannelStore(statePath),
      ledger: () => this.ledger,
      links: this.links,
      peer: (peerId) => this.settlementPeer(peerId),
      peers: () => this.peers.all().map((p) => this.settlementPeer(p.id)!),
      peerAccount,
      logger: this.logger,
      // One unanswered claim holds the peer's next one: not the whole BTP request timeout.
      claimTimeoutMs: Math.min(this.config.btp.requestTimeoutMs, 10_000),
      onEvent: (event) => this.onSettlementEvent(event),
    });
  }

  private settlementPeer(peerId: string) {
    const peer = this.peers.get(peerId);
    if (peer === undefined) return undefined;
    const s = peer.settings;
    return {
      id: peerId,
      evmAddress: s.evmAddress,
      settlementChain: s.settlementChain,
      assetScale: s.assetScale,
      settleThreshold: s.settleThreshold,
      settleTo: s.settleTo,
    };
  }

  private onSettlementEvent(event: SettlementEvent): void {
    try {
      this.emit('settlement', event);
    } catch (err) {
      this.logger.error({ err }, "a 'settlement' listener threw");
    }
  }

  // ── standalone mode: BLS, admin API, metrics ─────────────────────────────

  /** Standalone local delivery: packets for this node are POSTed to the business-logic server. */
  private createBlsClient(): BlsClient | undefined {
    const { enabled, handlerUrl, timeout, authToken } = this.config.localDelivery;
    if (!enabled || handlerUrl === undefined) return undefined;
    const client = new BlsClient({
      handlerUrl,
      timeoutMs: timeout,
      logger: this.logger,
      ...(authToken ? { authToken } : {}),
    });
    this.local.setHandler(createPaymentHandlerAdapter(client.handle, this.logger));
    return client;
  }

  /**
   * Production refuses a config without a key or an allowlist (config rule). Elsewhere an API
   * without a key listens on loopback only, whatever host was asked for, and says so.
   */
  private async startAdminApi(): Promise<void> {
    const { enabled, port, host, apiKey, allowedIPs, trustProxy } = this.config.adminApi;
    if (!enabled) return;
    let bindHost = host ?? '0.0.0.0';
    if (apiKey === undefined && this.config.environment !== 'production') {
      const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost';
      bindHost = loopback ? host : '127.0.0.1';
      this.logger.warn(
        { host: bindHost, requestedHost: host },
        'admin API has no apiKey: listening on loopback only; set ADMIN_API_KEY to serve other hosts',
      );
    }
    const access = { trustProxy, ...(apiKey ? { apiKey } : {}), ...(allowedIPs ? { allowedIPs } : {}) };
    this.admin = new AdminServer({ node: this.adminNode(), access, logger: this.logger });
    await this.admin.listen(port, bindHost);
  }

  private adminNode(): AdminNode {
    return {
      isReady: () => this.state === 'started',
      listPeers: () => this.listPeers(),
      registerPeer: (request) => this.registerPeer(request),
      removePeer: (peerId, removeRoutes) => this.removePeer(peerId, removeRoutes),
      listRoutes: () => this.listRoutes(),
      addRoute: (prefix, nextHop, priority) => this.addRoute(prefix, nextHop, priority),
      removeRoute: (prefix) => this.removeRoute(prefix),
      sendPacket: (params) => this.sendPacket(params),
      getBalance: (peerId) => this.getBalance(peerId),
      listChannels: async () => this.listChannels(),
      openChannel: (o) => this.openChannelView(o.peerId, o.amount),
    };
  }

  private metricsSource(own: PacketCounts): MetricsSource {
    return {
      packetCounts: () => [
        [this.config.nodeId, own] as const,
        ...this.peers.all().map((p) => [p.id, p.counts] as const),
      ],
      links: () => this.peers.all().map((p) => ({ peerId: p.id, connected: this.links.isConnected(p.id) })),
      balances: () => Promise.all(this.peers.all().map((p) => this.getBalance(p.id))),
      packetsInFlight: () => this.packets.packetsInFlight,
      transitNotificationsDropped: () => this.local.transitDropped,
      settlement: () => this.settlement?.stats,
    };
  }

  // ── inspection ───────────────────────────────────────────────────────────

  getDeploymentMode(): DeploymentMode {
    const c = this.config;
    if (c.deploymentMode !== undefined) return c.deploymentMode;
    return c.localDelivery.enabled && c.adminApi.enabled ? 'standalone' : 'embedded';
  }

  isEmbedded(): boolean {
    return this.getDeploymentMode() === 'embedded';
  }

  isStandalone(): boolean {
    return this.getDeploymentMode() === 'standalone';
  }

  /** Our ILP address (configured, `g.<nodeId>`, or learned from the parent by IL-DCP). */
  getIlpAddress(): string {
    return this.ilpAddress;
  }

  get btpPort(): number {
    return this.links.port;
  }

  get healthPort(): number {
    return this.health?.port ?? 0;
  }

  /** The admin API's port, 0 when it is disabled. */
  get adminPort(): number {
    return this.admin?.port ?? 0;
  }

  isConnected(peerId: string): boolean {
    return this.links.isConnected(peerId);
  }

  private healthStatus(): NodeHealth {
    return {
      nodeId: this.config.nodeId,
      ilpAddress: this.ilpAddress,
      state: this.state,
      startedAtMs: this.startedAtMs,
      peers: this.peers.all().map((p) => ({
        id: p.id,
        connected: this.links.isConnected(p.id),
        dialed: p.settings.url !== undefined,
        relation: p.settings.relation,
      })),
      version: VERSION,
    };
  }

  private assertStarted(what: string): void {
    if (this.state !== 'started') throw new ConnectorNotStartedError(what);
  }

  /** IL-DCP from the parent when no address was configured (RFC 31). */
  private onLinkUp(peerId: string): void {
    this.emit('peer:connected', peerId);
    this.settlement?.linkUp(peerId);
    const peer = this.peers.get(peerId);
    if (peer?.settings.relation !== 'parent' || this.config.ilpAddress !== undefined) return;
    fetchIldcp(this.links, peerId, this.config.btp.requestTimeoutMs)
      .then((res) => this.changeAddress(res.clientAddress))
      .catch((err: unknown) => this.logger.warn({ err, parent: peerId }, 'IL-DCP from parent failed'));
  }

  private changeAddress(address: string): void {
    if (address === this.ilpAddress) return;
    const old = this.ilpAddress;
    // Add before remove: a failure leaves the old address routable rather than none.
    this.routes.addRoute(address, this.config.nodeId);
    this.routes.removeRoute(old, this.config.nodeId);
    this.ilpAddress = address;
    this.peerManager.readdressChildren(old, address);
    this.logger.info({ old, address }, 'ILP address assigned by parent');
    try {
      this.emit('address', address);
    } catch (err) {
      this.logger.error({ err }, "an 'address' listener threw");
    }
  }
}

function ilpReply(data: Uint8Array): ProtocolData[] {
  return [{ protocolName: 'ilp', contentType: CONTENT_TYPE.octetStream, data }];
}

function channelMetadata(c: ChannelView): ChannelMetadata {
  const meta: ChannelMetadata = {
    channelId: c.channelId,
    peerId: c.peerId,
    chain: c.chain,
    chainId: c.chainId,
    direction: c.direction,
    counterparty: c.counterparty,
    tokenNetwork: c.tokenNetwork,
    status: c.status,
    deposit: c.deposit.toString(),
    transferred: c.transferred.toString(),
    nonce: c.nonce.toString(),
    settleableAt: c.settleableAt.toString(),
  };
  if (c.redeemed !== undefined) meta.redeemed = c.redeemed.toString();
  if (c.acknowledgedNonce !== undefined) meta.acknowledgedNonce = c.acknowledgedNonce.toString();
  return meta;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
