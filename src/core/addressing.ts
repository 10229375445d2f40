/**
 * The node's own ILP address and the routes it manages itself (DESIGN §4): configured, else
 * `g.<nodeId>`, or learned from the parent by IL-DCP (RFC 31) when none was configured. Routes
 * the node manages (its own address, each child's, the parent's default route) cannot be
 * removed alone; any other route can be added and removed by the operator.
 */
import type { LinkManager } from '../btp/index.js';
import type { RoutingTable } from '../routing/index.js';
import type { RouteInfo } from '../types/index.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { fetchIldcp } from './ildcp-client.js';
import type { PeerRegistry } from './peers.js';

export interface AddressingDeps {
  nodeId: string;
  /** The configured address; undefined lets a parent assign one. */
  configured: string | undefined;
  routes: RoutingTable;
  peers: PeerRegistry;
  links: LinkManager;
  requestTimeoutMs: number;
  logger: Logger;
  /** Told after the address changed and the routes follow it. */
  onChange: (old: string, address: string) => void;
}

export class Addressing {
  private current: string;

  constructor(private readonly d: AddressingDeps) {
    this.current = d.configured ?? `g.${d.nodeId}`;
  }

  /** Bound once: the packet path calls it for every reject it makes. */
  readonly address = (): string => this.current;

  listRoutes(): RouteInfo[] {
    return this.d.routes.listRoutes();
  }

  addRoute(prefix: string, nextHop: string, priority = 0): void {
    if (nextHop !== this.d.nodeId && !this.d.peers.has(nextHop)) {
      throw new ConnectorError('ERR_PEER_UNKNOWN', `cannot add route ${prefix}: no peer ${nextHop}`);
    }
    this.d.routes.addRoute(prefix, nextHop, priority);
  }

  removeRoute(prefix: string): void {
    const managedBy = this.managerOf(prefix);
    if (managedBy !== undefined) {
      throw new ConnectorError(
        'ERR_ROUTE_INVALID',
        `route ${prefix} is ${managedBy}; it cannot be removed alone`,
      );
    }
    if (!this.d.routes.removeRoute(prefix) && this.d.routes.routeAt(prefix)?.origin === 'learned') {
      throw new ConnectorError(
        'ERR_ROUTE_INVALID',
        `route ${prefix} was learned by CCP; it goes when its peer withdraws it`,
      );
    }
  }

  /** IL-DCP from the parent when no address was configured (RFC 31). */
  linkUp(peerId: string): void {
    const peer = this.d.peers.get(peerId);
    if (peer?.settings.relation !== 'parent' || this.d.configured !== undefined) return;
    fetchIldcp(this.d.links, peerId, this.d.requestTimeoutMs)
      .then((res) => this.change(res.clientAddress))
      .catch((err: unknown) => this.d.logger.warn({ err, parent: peerId }, 'IL-DCP from parent failed'));
  }

  private change(address: string): void {
    if (address === this.current) return;
    const old = this.current;
    // Add before remove: a failure leaves the old address routable rather than none.
    this.d.routes.addRoute(address, this.d.nodeId);
    this.d.routes.removeRoute(old, this.d.nodeId);
    this.current = address;
    this.d.logger.info({ old, address }, 'ILP address assigned by parent');
    this.d.onChange(old, address);
  }

  private managerOf(prefix: string): string | undefined {
    if (prefix === this.current) return "this node's own address";
    if (prefix === '' && this.d.peers.parent() !== undefined)
      return "the parent's default route: remove the parent";
    for (const p of this.d.peers.all()) {
      if (p.settings.relation === 'child' && prefix === `${this.current}.${p.id}`)
        return `child ${p.id}'s address: remove the peer instead`;
    }
    return undefined;
  }
}
