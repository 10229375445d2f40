/**
 * Adding and removing peers at runtime: registry, ledger account, routes and BTP link move
 * together, so a peer is either fully present or fully gone. An add checks every step that can
 * refuse first (plan), then creates the ledger account, then applies the rest synchronously.
 */
import { type BtpPeer, type LinkManager, redact, resolveBtpTarget } from '../btp/index.js';
import { parsePeerConfig, type ResolvedConfig, type ResolvedPeerConfig } from '../config/index.js';
import type { Ledger } from '../ledger/index.js';
import { DEFAULT_MAX_ROUTES, MAX_PREFIX_CHARS, type RoutingTable } from '../routing/index.js';
import type { PeerInfo, PeerRegistrationRequest, RemovePeerResult } from '../types/index.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { toPeerSettings } from './peer-settings.js';
import { type PeerRegistry, type PeerSettings, peerAccount } from './peers.js';

export interface PeerManagerDeps {
  config: ResolvedConfig;
  peers: PeerRegistry;
  routes: RoutingTable;
  /** The routing table's bound (checked before a peer is added); default DEFAULT_MAX_ROUTES. */
  maxRoutes?: number;
  /** The node's ledger, known once it has started. */
  ledger: () => Ledger;
  links: LinkManager;
  logger: Logger;
  address: () => string;
  /** Told once a peer is fully added or removed (the Explorer's events). */
  onChange?: ((change: 'added' | 'removed', peerId: string, relation: string) => void) | undefined;
}

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

interface AddPlan {
  routes: { prefix: string; priority: number }[];
  btpPeer: BtpPeer;
}

export class PeerManager {
  /** Peers being added (id -> relation): the ledger is awaited, and no second add may slip in. */
  private readonly adding = new Map<string, string>();

  constructor(private readonly d: PeerManagerDeps) {}

  /**
   * `wanted` is asked once the ledger account exists, before anything else is applied: false
   * (e.g. an admission that timed out meanwhile) stops the add there (ERR_BTP_TIMEOUT).
   */
  async add(peer: ResolvedPeerConfig, wanted: () => boolean = () => true): Promise<void> {
    const { config, peers } = this.d;
    if (peer.id === config.nodeId) {
      throw new ConnectorError('ERR_INVALID_ARGUMENT', `peer id ${peer.id} is this node's own id`);
    }
    if (peers.has(peer.id) || this.adding.has(peer.id))
      throw new ConnectorError('ERR_PEER_EXISTS', `peer ${peer.id} already exists`);
    const parentPending = [...this.adding.values()].includes('parent');
    if (peer.relation === 'parent' && (peers.parent() !== undefined || parentPending)) {
      throw new ConnectorError('ERR_INVALID_ARGUMENT', `peer ${peer.id}: only one parent is allowed`);
    }
    this.adding.set(peer.id, peer.relation);
    try {
      await this.addNow(peer, wanted);
    } finally {
      this.adding.delete(peer.id);
    }
  }

  private async addNow(peer: ResolvedPeerConfig, wanted: () => boolean): Promise<void> {
    const settings = toPeerSettings(peer, this.d.config);
    const plan = this.plan(peer, settings);
    const limits = settings.maximum === undefined ? {} : { debitLimit: settings.maximum };
    await this.d.ledger().createAccount(peerAccount(peer.id), limits);
    if (!wanted())
      throw new ConnectorError('ERR_BTP_TIMEOUT', `peer ${peer.id}: given up before its link was added`);
    this.apply(settings, plan);
    this.d.onChange?.('added', peer.id, peer.relation);
  }

  /**
   * Every step that can refuse a peer, checked before anything changes: its routes (a child's
   * address may be too long), room for them in the table, its URL. A refusal here leaves no
   * trace, not even a ledger account.
   */
  private plan(peer: ResolvedPeerConfig, settings: PeerSettings): AddPlan {
    const routes = (peer.routes ?? []).map((r) => ({ prefix: r.prefix, priority: r.priority ?? 0 }));
    if (peer.relation === 'child') routes.push({ prefix: `${this.d.address()}.${peer.id}`, priority: 0 });
    if (peer.relation === 'parent') routes.push({ prefix: '', priority: Number.MIN_SAFE_INTEGER });
    for (const r of routes) {
      if (r.prefix.length > MAX_PREFIX_CHARS)
        throw new ConnectorError(
          'ERR_ROUTE_INVALID',
          `peer ${peer.id}: route ${r.prefix.slice(0, 64)}... is longer than ${MAX_PREFIX_CHARS} characters`,
        );
    }
    const maxRoutes = this.d.maxRoutes ?? DEFAULT_MAX_ROUTES;
    if (this.d.routes.size + routes.length > maxRoutes)
      throw new ConnectorError(
        'ERR_ROUTE_INVALID',
        `peer ${peer.id}: routing table is full (maxRoutes ${maxRoutes}, ${this.d.routes.size} held, ${routes.length} more needed)`,
      );
    if (settings.url === undefined) return { routes, btpPeer: { id: peer.id, authToken: peer.authToken } };
    resolveBtpTarget(settings.url, this.d.config.nodeId, peer.authToken); // throws on a bad URL
    return { routes, btpPeer: { id: peer.id, url: settings.url, authToken: peer.authToken } };
  }

  /** Synchronous, so no packet sees a peer half added; a step that throws anyway is undone. */
  private apply(settings: PeerSettings, plan: AddPlan): void {
    const { peers, routes, links } = this.d;
    const id = settings.id;
    const added: string[] = [];
    try {
      peers.add(settings, Date.now());
      for (const r of plan.routes) {
        routes.addRoute(r.prefix, id, r.priority);
        added.push(r.prefix);
      }
      links.addPeer(plan.btpPeer);
    } catch (err) {
      // Only what this add did is undone: routes via the id that were there before it stay.
      // (The ledger account stays, as on removal: creating it is idempotent.)
      for (const prefix of added) routes.removeRoute(prefix, id);
      peers.delete(id);
      throw err;
    }
  }

  /** registerPeer: validates like a config entry; a malformed evmAddress is dropped with a warning. */
  async register(request: PeerRegistrationRequest): Promise<void> {
    const input: Record<string, unknown> = { ...request };
    if (typeof request.evmAddress === 'string' && !EVM_ADDRESS.test(request.evmAddress)) {
      this.d.logger.warn(
        { peerId: request.id },
        'evmAddress is not a valid EVM address; settlement with this peer is off',
      );
      delete input.evmAddress;
    }
    if (input.authToken === undefined) input.authToken = '';
    await this.add(parsePeerConfig(input));
  }

  async remove(peerId: string, removeRoutes: boolean): Promise<RemovePeerResult> {
    const { peers, routes, links } = this.d;
    if (!peers.has(peerId)) return { peerId, removed: false, removedRoutes: [] };
    const removedRoutes = removeRoutes
      ? routes
          .listRoutes()
          .filter((r) => r.nextHop === peerId)
          .map((r) => r.prefix)
      : [];
    if (removeRoutes) routes.removeRoutesVia(peerId);
    const relation = peers.get(peerId)?.settings.relation ?? 'peer';
    peers.delete(peerId);
    await links.removePeer(peerId);
    this.d.onChange?.('removed', peerId, relation);
    // The ledger account stays: what the peer owes or is owed does not vanish with the link.
    return { peerId, removed: true, removedRoutes };
  }

  info(peerId: string): PeerInfo {
    const peer = this.d.peers.get(peerId);
    if (peer === undefined) throw new ConnectorError('ERR_PEER_UNKNOWN', `no peer ${peerId}`);
    // Configured routes only: learned ones (CCP) are many and show in listRoutes with their origin.
    const prefixes = this.d.routes
      .listRoutes()
      .filter((r) => r.nextHop === peerId && r.origin === undefined)
      .map((r) => r.prefix);
    const info: PeerInfo = {
      id: peer.id,
      relation: peer.settings.relation,
      connected: this.d.links.isConnected(peer.id),
      ilpAddresses: prefixes,
      routeCount: prefixes.length,
    };
    if (peer.settings.url !== undefined) info.url = redact(peer.settings.url);
    if (peer.settings.evmAddress !== undefined) info.evmAddress = peer.settings.evmAddress;
    return info;
  }

  list(): PeerInfo[] {
    return this.d.peers.all().map((p) => this.info(p.id));
  }

  /** After IL-DCP changed our address, children's routes move under the new one. */
  readdressChildren(oldAddress: string, newAddress: string): void {
    for (const peer of this.d.peers.all()) {
      if (peer.settings.relation !== 'child') continue;
      this.d.routes.removeRoute(`${oldAddress}.${peer.id}`, peer.id);
      this.d.routes.addRoute(`${newAddress}.${peer.id}`, peer.id);
    }
  }
}
