/**
 * The node's settlement surface: creates the SettlementEngine when the config asks for it
 * (settlement/ decides, `settlementSpec`), answers the spec's channel API in its shapes, and
 * names the BTP sub-protocols settlement answers. Without settlement every call is a clear
 * ERR_SETTLEMENT_UNAVAILABLE and a claim from a peer is refused with F00.
 */
import { dirname, join } from 'node:path';
import type { Hex } from 'viem';
import type { LinkManager } from '../btp/index.js';
import { BtpRemoteError } from '../btp/index.js';
import type { ResolvedConfig } from '../config/index.js';
import type { Signer } from '../keys/index.js';
import { DEFAULT_SNAPSHOT_PATH, type Ledger } from '../ledger/index.js';
import {
  type ChainClients,
  ChannelStore,
  type ChannelView,
  CLAIM_SUB_PROTOCOL,
  CLOSE_SUB_PROTOCOL,
  SettlementEngine,
  type SettlementEvent,
  type SettlementPeer,
  type SettlementSpec,
  type SettlementStats,
  settlementSpec,
} from '../settlement/index.js';
import type {
  ChannelMetadata,
  ChannelSettleResult,
  PeerChannelState,
  WalletChainBalance,
  WithdrawRequest,
  WithdrawResult,
} from '../types/index.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import type { SubProtocol } from './btp-dispatch.js';
import type { NodeWallet } from './node-wallet.js';
import { type PeerRegistry, peerAccount } from './peers.js';

export interface NodeSettlementDeps {
  config: ResolvedConfig;
  logger: Logger;
  /** The node's ledger, known once it has started. */
  ledger: () => Ledger;
  links: LinkManager;
  peers: PeerRegistry;
  onEvent: (event: SettlementEvent) => void;
  /** The node's key and chain clients, shared with the gateway (the node closes it). */
  wallet: NodeWallet;
}

export class NodeSettlement {
  /** Undefined when settlement is off: every operation then says so. */
  readonly #spec: SettlementSpec | undefined;
  /** An `env` key is parsed at once (a bad one fails the constructor); a KMS key opens at start. */
  #signer: Signer | undefined;
  /** Created at start, once the signer is open. */
  #engine: SettlementEngine | undefined;

  constructor(private readonly d: NodeSettlementDeps) {
    this.#spec = settlementSpec(d.config);
    if (this.#spec !== undefined && !d.wallet.isKms) {
      this.#signer = d.wallet.signerNow();
      warnOfLocalKey(d, this.#signer);
    }
  }

  get enabled(): boolean {
    return this.#spec !== undefined;
  }

  private get engine(): SettlementEngine | undefined {
    return this.#engine;
  }

  /** For the packet path: told after a Fulfill to a peer was booked (only marks the peer). */
  fulfilledTo(): ((peerId: string) => void) | undefined {
    if (this.#spec === undefined) return undefined;
    return (peerId) => this.#engine?.fulfilled(peerId);
  }

  /** `payment-channel-claim` and `payment-channel-close` over BTP. */
  subProtocols(): SubProtocol[] {
    return [
      { name: CLAIM_SUB_PROTOCOL, handle: (peerId, data) => this.receiver().receiveClaim(peerId, data) },
      { name: CLOSE_SUB_PROTOCOL, handle: (peerId, data) => this.receiver().receiveClose(peerId, data) },
    ];
  }

  /**
   * Before the links: claims that arrive need it, and its saved claims are booked again. A KMS
   * key is opened here (its public key read and checked); if that fails, the start fails.
   */
  async start(): Promise<void> {
    const spec = this.#spec;
    if (spec === undefined) return;
    if (this.#signer === undefined) {
      const signer = await this.d.wallet.open();
      this.d.logger.info({ backend: signer.backend, address: signer.address }, 'settlement key opened');
      this.#signer = signer;
    }
    this.#engine = createEngine(this.d, spec, this.#signer, await this.d.wallet.clients());
    await this.#engine.start();
  }

  async stop(): Promise<void> {
    // The signer is the node's (NodeWallet): closed by the node once the gateway has stopped too.
    await this.#engine?.stop();
  }

  linkUp(peerId: string): void {
    this.engine?.linkUp(peerId);
  }

  get stats(): SettlementStats | undefined {
    return this.engine?.stats;
  }

  async openChannel(peerId: string, amount: bigint): Promise<ChannelMetadata> {
    const engine = this.require(`cannot open a channel with ${peerId}`);
    return channelMetadata(await engine.openChannel(peerId, amount));
  }

  channelState(peerId: string): PeerChannelState {
    const engine = this.require(`no channel state for ${peerId}`);
    if (!this.d.peers.has(peerId)) throw new ConnectorError('ERR_PEER_UNKNOWN', `no peer ${peerId}`);
    const { outgoing, incoming } = engine.channelsOf(peerId);
    const state: PeerChannelState = { peerId };
    if (outgoing !== undefined) state.outgoing = channelMetadata(outgoing);
    if (incoming !== undefined) state.incoming = channelMetadata(incoming);
    return state;
  }

  /** The node's settlement addresses and key backend; none and null when settlement is off. */
  identity(): {
    addresses: { chain: string; chainId: number; address: string }[];
    keyBackend: string | null;
  } {
    if (this.engine === undefined) return { addresses: [], keyBackend: null };
    const { backend, addresses } = this.engine.identity();
    return { addresses, keyBackend: backend };
  }

  listChannels(): ChannelMetadata[] {
    return this.require('cannot list payment channels').listChannels().map(channelMetadata);
  }

  // ── one channel by id, and the wallet (the admin API) ─────────────────

  channel(channelId: string): ChannelMetadata {
    return channelMetadata(this.require('cannot read a channel').operator.view(channelId as Hex));
  }

  async depositChannel(channelId: string, amount: bigint): Promise<ChannelMetadata> {
    const operator = this.require(`cannot deposit into ${channelId}`).operator;
    return channelMetadata(await operator.deposit(channelId as Hex, amount));
  }

  async closeChannelById(channelId: string, cooperative: boolean): Promise<ChannelMetadata> {
    const operator = this.require(`cannot close ${channelId}`).operator;
    return channelMetadata(await operator.close(channelId as Hex, cooperative));
  }

  async settleChannel(channelId: string): Promise<ChannelSettleResult> {
    const operator = this.require(`cannot settle ${channelId}`).operator;
    const { channel, claimSent } = await operator.settle(channelId as Hex);
    return { channel: channelMetadata(channel), claimSent };
  }

  async wallet(): Promise<WalletChainBalance[]> {
    const balances = await this.require('cannot read the wallet').operator.wallet();
    return balances.map((b) => ({
      chain: b.chain,
      chainId: b.chainId,
      address: b.address,
      ...(b.token === undefined ? {} : { token: b.token }),
      ...(b.tokenBalance === undefined ? {} : { tokenBalance: b.tokenBalance.toString() }),
      ...(b.ethBalance === undefined ? {} : { ethBalance: b.ethBalance.toString() }),
    }));
  }

  async withdraw(request: WithdrawRequest): Promise<WithdrawResult> {
    const result = await this.require('cannot withdraw').operator.withdraw(request);
    return {
      chain: result.chain,
      to: result.to,
      amount: result.amount.toString(),
      txHash: result.txHash,
      tokenBalance: result.tokenBalance.toString(),
    };
  }

  async settleNow(peerId: string): Promise<void> {
    await this.require(`cannot settle with ${peerId}`).settle(peerId, 'manual');
  }

  async closeChannel(
    peerId: string,
    direction: 'outgoing' | 'incoming',
    cooperative: boolean,
  ): Promise<void> {
    await this.require(`cannot close a channel with ${peerId}`).closeChannel(peerId, direction, cooperative);
  }

  async ready(chain?: string): Promise<void> {
    await this.require('settlement is not enabled').chainReady(chain);
  }

  async watch(): Promise<void> {
    await this.require('settlement is not enabled').watch();
  }

  private receiver(): SettlementEngine {
    if (this.engine === undefined) {
      const why = this.enabled ? 'has not started' : 'is not enabled';
      throw new BtpRemoteError('F00', 'NotAcceptedError', `settlement ${why} on this node`);
    }
    return this.engine;
  }

  private require(what: string): SettlementEngine {
    if (this.enabled && this.engine === undefined) {
      throw new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `${what}: settlement has not started`);
    }
    if (this.engine === undefined) {
      throw new ConnectorError(
        'ERR_SETTLEMENT_UNAVAILABLE',
        `${what}: settlement is not configured on this node (settlementInfra, EVM_PRIVATE_KEY)`,
      );
    }
    return this.engine;
  }
}

function warnOfLocalKey({ config, logger }: NodeSettlementDeps, signer: Signer): void {
  if (
    config.environment === 'production' &&
    (signer.backend === 'env-key' || signer.backend === 'hd-wallet')
  ) {
    logger.warn(
      { backend: signer.backend, address: signer.address },
      'settlement signs with a key held in this process (KEY_BACKEND=env): fine for development, use a KMS backend in production',
    );
  }
}

function createEngine(
  d: NodeSettlementDeps,
  spec: SettlementSpec,
  signer: Signer,
  clients: ChainClients,
): SettlementEngine {
  const { config, logger } = d;
  const s = config.settlement;
  const statePath =
    s?.statePath ?? join(dirname(s?.ledgerSnapshotPath ?? DEFAULT_SNAPSHOT_PATH), 'settlement-state.json');
  const peer = (peerId: string) => settlementPeer(d.peers, peerId);
  return new SettlementEngine({
    spec,
    signer,
    clients,
    store: new ChannelStore(statePath),
    ledger: d.ledger,
    links: d.links,
    peer,
    peers: () => d.peers.all().map((p) => peer(p.id)!),
    peerAccount,
    logger,
    // One unanswered claim holds the peer's next one: not the whole BTP request timeout.
    claimTimeoutMs: Math.min(config.btp.requestTimeoutMs, 10_000),
    onEvent: d.onEvent,
  });
}

/** What settlement needs to know of a peer, read live (a peer may be re-registered). */
function settlementPeer(peers: PeerRegistry, peerId: string): SettlementPeer | undefined {
  const peer = peers.get(peerId);
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

/** The spec's JSON-safe channel shape: amounts as decimal strings. */
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
