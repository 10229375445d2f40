/**
 * Adding and removing peers at runtime: registry, ledger account, routes and BTP link move
 * together, so a peer is either fully present or fully gone.
 */
import { type LinkManager, redact } from '../btp/index.js';
import { parsePeerConfig, type ResolvedConfig, type ResolvedPeerConfig } from '../config/index.js';
import type { Ledger } from '../ledger/index.js';
import type { RoutingTable } from '../routing/index.js';
import type { PeerInfo, PeerRegistrationRequest, RemovePeerResult } from '../types/index.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { toPeerSettings } from './peer-settings.js';
import type { PeerRegistry } from './peers.js';

export interface PeerManagerDeps {
  config: ResolvedConfig;
  peers: PeerRegistry;
  routes: RoutingTable;
  /** The node's ledger, known once it has started. */
  ledger: () => Ledger;
  links: LinkManager;
  logger: Logger;
  address: () => string;
  /** Told once a peer is fully added or removed (the Explorer's events). */
  onChange?: ((change: 'added' | 'removed', peerId: string, relation: string) => void) | undefined;
}

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export class PeerManager {
  /** Peers being added (id -> relation): the ledger is awaited, and no second add may slip in. */
  private readonly adding = new Map<string, string>();

  constructor(private readonly d: PeerManagerDeps) {}

  async add(peer: ResolvedPeerConfig): Promise<void> {
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
      await this.addNow(peer);
    } finally {
      this.adding.delete(peer.id);
    }
  }

  private async addNow(peer: ResolvedPeerConfig): Promise<void> {
    const { config, peers, routes, links } = this.d;
    const ledger = this.d.ledger();
    const settings = toPeerSettings(peer, config);
    const account = `peer:${peer.id}`;
    const limits = settings.maximum === undefined ? {} : { debitLimit: settings.maximum };
    await ledger.createAccount(account, limits);
    peers.add(settings, Date.now());
    try {
      for (const r of peer.routes ?? []) routes.addRoute(r.prefix, peer.id, r.priority);
      if (peer.relation === 'child') routes.addRoute(`${this.d.address()}.${peer.id}`, peer.id);
      if (peer.relation === 'parent') routes.addRoute('', peer.id, Number.MIN_SAFE_INTEGER);
      const btpPeer =
        settings.url === undefined
          ? { id: peer.id, authToken: peer.authToken }
          : { id: peer.id, url: settings.url, authToken: peer.authToken };
      links.addPeer(btpPeer);
    } catch (err) {
      // All or nothing: a peer whose routes or link could not be set up is not left half added.
      // (The ledger account stays, as on removal: it is idempotent and may hold a balance.)
      routes.removeRoutesVia(peer.id);
      peers.delete(peer.id);
      throw err;
    }
    this.d.onChange?.('added', peer.id, peer.relation);
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
