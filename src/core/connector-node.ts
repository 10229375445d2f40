/**
 * ConnectorNode: the spec's API and the node's lifecycle. Each method delegates to the part that
 * does the work (core/assembly.ts builds and wires them): the packet path (PacketHandler over
 * the pipeline), peers (PeerManager), routes and the own address (Addressing), balances
 * (node-status.ts), settlement (NodeSettlement), and the health and admin servers.
 * Over 300 lines on purpose: it is the spec's whole public API, each method a few lines of
 * delegation under its doc comment; splitting it would scatter the API a user reads.
 */

import { EventEmitter } from 'node:events';
import { encodePrepare } from '../codec/index.js';
import { ConfigLoader, type ConnectorConfig, type Env, type ResolvedConfig } from '../config/index.js';
import type { X402Gateway } from '../gateway/index.js';
import type {
  AdminNode,
  AdminServer,
  Explorer,
  ExplorerNode,
  ExplorerStatus,
  NodeHealth,
} from '../http/index.js';
import { HealthServer } from '../http/index.js';
import type { KmsHooks } from '../keys/index.js';
import type { AccountBalance, Ledger } from '../ledger/index.js';
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
import { listenNamed } from '../utils/port-in-use.js';
import { VERSION } from '../utils/version.js';
import { startAdminApi } from './admin-host.js';
import type { BindingLog } from './admission.js';
import { assembleNode, type NodeParts } from './assembly.js';
import { explorerSettings, explorerUrl, startExplorer } from './explorer-host.js';
import { createGateway, serveOutbound, x402Account } from './gateway-host.js';
import { waitForLink } from './link-wait.js';
import { healthStatus, peerBalance } from './node-status.js';
import { createPaymentHandlerAdapter } from './payment-handler.js';
import { SELF_ACCOUNT } from './peers.js';

export interface ConnectorNodeOptions {
  /** Environment for ${VAR} substitution, overrides and BTP secrets (default process.env). */
  env?: Env;
  /** Ledger backend (default: in-memory). */
  ledger?: Ledger;
  /** Bound on concurrent per-hop transit notifications. */
  maxTransitInFlight?: number;
  /** For embedders and tests: a KMS client's credentials or TLS trust (docs/keys.md). */
  kms?: KmsHooks;
  /**
   * For tests and embedders: wraps the log open admission makes its token bindings durable in
   * (docs/routing.md), e.g. to see how a login is answered when an append hangs.
   */
  wrapAdmissionLog?: (log: BindingLog) => BindingLog;
}

type State = NodeHealth['state'];

/**
 * Events: 'peer:connected' (peerId), 'peer:disconnected' (peerId), 'address' (ilpAddress),
 * 'settlement' (a SettlementEvent: claims sent, received, refused, redeemed, channels).
 */
export class ConnectorNode extends EventEmitter {
  readonly config: ResolvedConfig;
  private readonly logger: Logger;
  private readonly parts: NodeParts;
  private state: State = 'new';
  private startedAtMs: number | undefined;
  private health: HealthServer | undefined;
  private admin: AdminServer | undefined;
  private explorer: Explorer | undefined;
  private gateway: X402Gateway | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(config: ConnectorConfig | string, logger?: Logger, options: ConnectorNodeOptions = {}) {
    super();
    const env = options.env ?? process.env;
    this.config = ConfigLoader.load(config, { env });
    this.logger = logger ?? createLogger(this.config.nodeId, this.config.logLevel);
    this.parts = assembleNode(
      {
        config: this.config,
        env,
        logger: this.logger,
        ledger: options.ledger,
        maxTransitInFlight: options.maxTransitInFlight ?? 1000,
        explorerStatus: () => this.explorerStatus(),
        gatewayCounters: () => this.gateway?.counters(),
        kms: options.kms,
        wrapAdmissionLog: options.wrapAdmissionLog,
      },
      {
        linkUp: (peerId) => this.emit('peer:connected', peerId),
        linkDown: (peerId) => this.emit('peer:disconnected', peerId),
        addressChanged: (address) => this.emitSafely('address', address),
        settlementEvent: (event) => this.emitSafely('settlement', event),
      },
    );
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
    const { ledger, settlement, links, peerManager } = this.parts;
    try {
      const opened = await ledger.open();
      this.parts.composePipeline(opened);
      await opened.createAccount(SELF_ACCOUNT);
      if (this.config.mode === 'gateway' && this.config.gateway !== undefined)
        await opened.createAccount(x402Account(this.config.gateway.network));
      // Before the links: claims that arrive need it, and its saved claims are booked again.
      await settlement.start();
      this.parts.addConfiguredRoutes();
      this.parts.speaker?.start();
      const ports = this.config;
      await this.parts.admission?.open();
      await listenNamed({ port: ports.btpServerPort, setting: 'btpServerPort' }, () => links.start());
      this.parts.admission?.start();
      for (const peer of this.config.peers) await peerManager.add(peer);
      this.parts.reconciler.start();
      this.gateway = createGateway(
        this.config,
        this.parts.packets,
        this.parts.events,
        this.logger,
        this.parts.wallet,
      );
      await this.gateway?.start();
      if (this.gateway !== undefined) serveOutbound(this.gateway, this.parts.local, this.logger);
      this.health = new HealthServer(
        () => this.healthStatus(),
        () => this.parts.metrics.scrape(),
      );
      const health = this.health;
      await listenNamed({ port: ports.healthCheckPort, setting: 'healthCheckPort' }, () =>
        health.listen(ports.healthCheckPort),
      );
      this.admin = await startAdminApi(this.config, this.adminNode(), this.logger);
      this.startedAtMs = Date.now();
      this.explorer = await startExplorer(this.config, this.parts.events, this.explorerNode(), this.logger);
      this.state = 'started';
      this.logger.info(
        {
          nodeId: this.config.nodeId,
          ilpAddress: this.getIlpAddress(),
          btpPort: links.port,
          healthPort: this.health.port,
          adminPort: this.admin?.port,
          explorerUrl: this.explorerUrl,
          gatewayUrl: this.gateway?.url,
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
    const { packets } = this.parts;
    // No new paid requests; those in flight finish (their packets are answered below).
    await this.gateway?.stop();
    const drained = await packets.drain(this.config.packet.maxHoldTimeMs + 1000);
    if (!drained)
      this.logger.warn({ inFlight: packets.packetsInFlight }, 'stopped with packets still in flight');
    // Replies of the last packets reach ws.send() through promise continuations only; one turn
    // of the event loop lets every one of them run before the sockets close.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.release();
    this.state = 'stopped';
    this.logger.info({ nodeId: this.config.nodeId }, 'connector stopped');
  }

  private async release(): Promise<void> {
    const { links, bls, settlement, ledger, speaker, reconciler } = this.parts;
    reconciler.stop();
    speaker?.stop();
    await this.parts.admission?.stop();
    await this.gateway?.stop().catch((err: unknown) => this.logger.error({ err }, 'gateway stop failed'));
    const results = await Promise.allSettled([
      links.stop(),
      this.health?.close(),
      this.admin?.close(),
      this.explorer?.stop(),
    ]);
    bls?.close();
    await settlement.stop().catch((err: unknown) => this.logger.error({ err }, 'settlement stop failed'));
    // The key both used: closed once, after the gateway and settlement have stopped.
    await this.parts.wallet.close().catch((err: unknown) => this.logger.error({ err }, 'key close failed'));
    await ledger.current.close().catch((err: unknown) => this.logger.error({ err }, 'ledger close failed'));
    for (const r of results)
      if (r.status === 'rejected') this.logger.error({ err: r.reason }, 'shutdown step failed');
  }

  // ── packets ──────────────────────────────────────────────────────────────

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
    const reply = await this.parts.packets.handle(undefined, encodePrepare(prepare), prepare);
    if (reply.type === 13)
      return { type: 13, fulfillment: asBuffer(reply.fulfillment), data: asBuffer(reply.data) };
    const { code, triggeredBy, message, data } = reply;
    return { type: 14, code, triggeredBy, message, data: asBuffer(data) };
  }

  setLocalDeliveryHandler(handler: LocalDeliveryHandler): void {
    this.parts.local.setHandler(handler);
  }

  setPacketHandler(handler: PaymentHandler): void {
    this.parts.local.setHandler(createPaymentHandlerAdapter(handler, this.logger));
  }

  // ── peers and routes ─────────────────────────────────────────────────────

  async registerPeer(request: PeerRegistrationRequest): Promise<PeerInfo> {
    this.assertStarted('register a peer');
    await this.parts.peerManager.register(request);
    // A peer we dial: resolve once its link is up (bounded), so an immediate sendPacket works.
    if (request.url !== undefined) {
      await waitForLink(this, (id) => this.isConnected(id), request.id, this.config.btp.connectWaitMs);
    }
    return this.parts.peerManager.info(request.id);
  }

  async removePeer(peerId: string, removeRoutes = true): Promise<RemovePeerResult> {
    this.assertStarted('remove a peer');
    return this.parts.peerManager.remove(peerId, removeRoutes);
  }

  listPeers(): PeerInfo[] {
    return this.parts.peerManager.list();
  }

  listRoutes(): RouteInfo[] {
    return this.parts.addressing.listRoutes();
  }

  addRoute(prefix: string, nextHop: string, priority = 0): void {
    this.parts.addressing.addRoute(prefix, nextHop, priority);
  }

  /** Routes the node manages itself (its own address, children, the parent) are refused. */
  removeRoute(prefix: string): void {
    this.parts.addressing.removeRoute(prefix);
  }

  // ── balances and settlement ──────────────────────────────────────────────

  async getBalance(peerId: string): Promise<PeerAccountBalance> {
    return peerBalance(this.parts.ledger.current, this.parts.peers, this.config, peerId);
  }

  /**
   * The gateway's ledger account (`x402:<network>`, mode: gateway; docs/gateway.md, "Booking"):
   * debited by paid requests into Interledger, credited by payments out to x402 servers.
   * Undefined on a node that is no gateway.
   */
  async getGatewayAccount(): Promise<{ account: string; balance: AccountBalance } | undefined> {
    const gateway = this.config.mode === 'gateway' ? this.config.gateway : undefined;
    if (gateway === undefined) return undefined;
    this.assertStarted('read the gateway account');
    const account = x402Account(gateway.network);
    const balance = await this.parts.ledger.current.getBalance(account);
    return balance === undefined ? undefined : { account, balance };
  }

  /**
   * Opens a payment channel to the peer's `evmAddress` with `amount` token base units, or adds
   * them to the open one. Settlement opens channels by itself when it needs one; this is for
   * operators who want to deposit ahead.
   */
  async openChannel(peerId: string, amount: bigint): Promise<void> {
    this.assertStarted('open a channel');
    await this.parts.settlement.openChannel(peerId, amount);
  }

  /** The peer's current channels in each direction (undefined where there is none). */
  async getChannelState(peerId: string): Promise<PeerChannelState> {
    this.assertStarted('read channel state');
    return this.parts.settlement.channelState(peerId);
  }

  /** Every channel this node has had, settled ones included. */
  listChannels(): ChannelMetadata[] {
    return this.parts.settlement.listChannels();
  }

  /** Settles what we owe the peer now, whatever the threshold; resolves once the claim is sent, rejects with why it could not be. */
  async settleNow(peerId: string): Promise<void> {
    this.assertStarted('settle');
    await this.parts.settlement.settleNow(peerId);
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
    await this.parts.settlement.closeChannel(peerId, direction, options.cooperative ?? true);
  }

  /** Chain ready, for callers that must wait before acting (tests, scripts). */
  async settlementReady(chain?: string): Promise<void> {
    await this.parts.settlement.ready(chain);
  }

  /** One pass of the channel watcher now (it also runs every `watchIntervalMs`). */
  async watchChannels(): Promise<void> {
    await this.parts.settlement.watch();
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
    return this.parts.addressing.address();
  }

  get btpPort(): number {
    return this.parts.links.port;
  }

  get healthPort(): number {
    return this.health?.port ?? 0;
  }

  /** The admin API's port, 0 when it is disabled. */
  get adminPort(): number {
    return this.admin?.port ?? 0;
  }

  /** The x402 gateway's base URL (mode: gateway, docs/gateway.md); undefined otherwise. */
  get gatewayUrl(): string | undefined {
    return this.gateway === undefined || this.gateway.port === 0 ? undefined : this.gateway.url;
  }

  /** The Explorer's port, 0 when it is disabled. */
  get explorerPort(): number {
    return this.explorer?.port ?? 0;
  }

  /** The Explorer's address for a browser; undefined when it is disabled or not started. */
  get explorerUrl(): string | undefined {
    if (this.explorer === undefined) return undefined;
    return explorerUrl(explorerSettings(this.config).host, this.explorer.port);
  }

  isConnected(peerId: string): boolean {
    return this.parts.links.isConnected(peerId);
  }

  // ── helpers ──────────────────────────────────────────────────────────────

  private healthStatus(): NodeHealth {
    return healthStatus(
      {
        config: this.config,
        peers: this.parts.peers,
        links: this.parts.links,
        address: this.parts.addressing.address,
        explorer: () => this.explorerStatus(),
      },
      this.state,
      this.startedAtMs,
    );
  }

  /** The Explorer's status while it runs (between its start and the node's stop). */
  private explorerStatus(): ExplorerStatus | undefined {
    return this.state === 'started' ? this.explorer?.status() : undefined;
  }

  /** What the admin API may do: the public API, answered in its JSON shapes. */
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
      openChannel: async (o) => {
        this.assertStarted('open a channel');
        return this.parts.settlement.openChannel(o.peerId, o.amount);
      },
      channel: async (id) => this.parts.settlement.channel(id),
      depositChannel: (id, amount) => this.parts.settlement.depositChannel(id, amount),
      closeChannelById: (id, cooperative) => this.parts.settlement.closeChannelById(id, cooperative),
      settleChannel: (id) => this.parts.settlement.settleChannel(id),
      wallet: () => this.parts.settlement.wallet(),
      withdraw: (request) => this.parts.settlement.withdraw(request),
    };
  }

  /** What the Explorer reads: identity, peers with their limits, routes, balances, channels. */
  private explorerNode(): ExplorerNode {
    return {
      identity: () => {
        const { addresses, keyBackend } = this.parts.settlement.identity();
        return {
          nodeId: this.config.nodeId,
          ilpAddress: this.getIlpAddress(),
          version: VERSION,
          settlementAddresses: addresses,
          keyBackend,
          startedAtMs: this.startedAtMs ?? Date.now(),
        };
      },
      peers: () =>
        this.parts.peers.all().map((p) => {
          const s = p.settings;
          // What settlement uses (executor.ts #due): the peer's own, else the node's threshold;
          // a peer without an evmAddress is never settled with.
          const threshold =
            s.settleThreshold ??
            (this.parts.settlement.enabled && s.evmAddress !== undefined
              ? this.config.settlement?.threshold
              : undefined);
          return {
            id: p.id,
            relation: s.relation,
            connected: this.parts.links.isConnected(p.id),
            ...(s.url === undefined ? {} : { url: s.url }),
            ...(s.maximum === undefined ? {} : { maximum: s.maximum }),
            ...(threshold === undefined ? {} : { settleThreshold: threshold }),
          };
        }),
      routes: () => this.listRoutes(),
      balances: () => Promise.all(this.parts.peers.all().map((p) => this.getBalance(p.id))),
      channels: async () => (this.parts.settlement.enabled ? this.listChannels() : []),
    };
  }

  private assertStarted(what: string): void {
    if (this.state !== 'started') throw new ConnectorNotStartedError(what);
  }

  /** A listener that throws must not break the part that reported the event. */
  private emitSafely(event: string, value: unknown): void {
    try {
      this.emit(event, value);
    } catch (err) {
      this.logger.error({ err }, `a '${event}' listener threw`);
    }
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
