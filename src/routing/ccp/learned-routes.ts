/**
 * What the neighbours offer us by CCP, and the best learned route per prefix (the receiving side
 * of ilp-connector's ccp-receiver.ts and route-broadcaster.ts, with our choice rules).
 *
 * Per neighbour: its routing table id, the epoch we have reached, when its routes expire (the
 * hold-down time of its last update from now), and its offers. An update whose `fromEpoch` is
 * beyond ours is a gap (the caller asks again from our epoch); a new routing table id starts over
 * from epoch 0, and the offers of the old table that the new one has not repeated by the time it
 * has caught up (`toEpoch >= currentEpoch`) are dropped.
 *
 * Refused offers: a prefix that is not a valid ILP address under a scheme (so never a bare `g`
 * or the default route), a path that holds our own address (a loop), and a prefix at or under our
 * own address (ours to route). The best offer per prefix: shortest path, then the neighbour's
 * relation (child, peer, parent), then the lower peer id. It is written into the routing table as
 * that prefix's one learned route; configured routes there keep winning (routing-table.ts).
 *
 * Every method runs synchronously to the end, so the packet path sees the table before or after
 * a whole update, never half of one.
 */
import { isUnder, isValidAddress } from '../../codec/index.js';

export type Relation = 'peer' | 'child' | 'parent';

export interface OfferedRoute {
  readonly prefix: string;
  readonly path: readonly string[];
}

/** The two routing-table methods the book writes with. */
export interface LearnedRouteSink {
  setLearned(prefix: string, nextHop: string, path: readonly string[]): void;
  removeLearned(prefix: string): boolean;
}

export interface LearnedRoutesOptions {
  table: LearnedRouteSink;
  relationOf(peerId: string): Relation | undefined;
  ownAddress(): string;
  /** Offers held at most, all neighbours together; further new prefixes are ignored. */
  maxLearnedRoutes: number;
}

export interface RouteUpdateInput {
  routingTableId: string;
  currentEpochIndex: number;
  fromEpochIndex: number;
  toEpochIndex: number;
  holdDownTime: number;
  newRoutes: readonly OfferedRoute[];
  withdrawnRoutes: readonly string[];
}

export type UpdateOutcome =
  | { kind: 'applied'; changed: string[]; refused: number }
  | { kind: 'gap'; epoch: number };

interface Neighbour {
  tableId: string;
  epoch: number;
  expiresAtMs: number;
  readonly prefixes: Set<string>;
  /** Prefixes of a previous routing table, dropped once the new one has caught up. */
  stale: Set<string> | undefined;
}

export const NO_TABLE_ID = '00000000-0000-0000-0000-000000000000';
const RELATION_RANK: Record<Relation, number> = { child: 0, peer: 1, parent: 2 };

export class LearnedRoutes {
  readonly #neighbours = new Map<string, Neighbour>();
  /** prefix -> neighbour -> its offer. */
  readonly #offers = new Map<string, Map<string, OfferedRoute>>();
  #count = 0;

  constructor(private readonly o: LearnedRoutesOptions) {}

  /** Offers held, all neighbours together. */
  get size(): number {
    return this.#count;
  }

  /** Where we are in a neighbour's table: what a route control request tells it. */
  position(peerId: string): { tableId: string; epoch: number } {
    const n = this.#neighbours.get(peerId);
    return n === undefined ? { tableId: NO_TABLE_ID, epoch: 0 } : { tableId: n.tableId, epoch: n.epoch };
  }

  offersOf(peerId: string): number {
    return this.#neighbours.get(peerId)?.prefixes.size ?? 0;
  }

  apply(peerId: string, u: RouteUpdateInput, nowMs: number): UpdateOutcome {
    let n = this.#neighbours.get(peerId);
    if (n === undefined) {
      n = { tableId: NO_TABLE_ID, epoch: 0, expiresAtMs: 0, prefixes: new Set(), stale: undefined };
      this.#neighbours.set(peerId, n);
    }
    n.expiresAtMs = Math.max(n.expiresAtMs, nowMs + u.holdDownTime);
    if (n.tableId !== u.routingTableId) {
      n.tableId = u.routingTableId;
      n.epoch = 0;
      n.stale = n.prefixes.size > 0 ? new Set(n.prefixes) : undefined;
    }
    if (u.fromEpochIndex > n.epoch) return { kind: 'gap', epoch: n.epoch };
    const changed: string[] = [];
    let refused = 0;
    if (n.epoch <= u.toEpochIndex) {
      for (const prefix of u.withdrawnRoutes) {
        n.stale?.delete(prefix);
        if (this.#withdraw(peerId, n, prefix)) changed.push(prefix);
      }
      for (const route of u.newRoutes) {
        n.stale?.delete(route.prefix);
        if (!this.#acceptable(route)) {
          refused++;
          if (this.#withdraw(peerId, n, route.prefix)) changed.push(route.prefix);
        } else if (this.#offer(peerId, n, route)) changed.push(route.prefix);
        else refused++;
      }
      n.epoch = u.toEpochIndex;
    }
    if (n.stale !== undefined && u.toEpochIndex >= u.currentEpochIndex) {
      for (const prefix of n.stale) if (this.#withdraw(peerId, n, prefix)) changed.push(prefix);
      n.stale = undefined;
    }
    for (const prefix of new Set(changed)) this.#choose(prefix);
    return { kind: 'applied', changed, refused };
  }

  /** Forgets a neighbour (link down, removed, expired); returns the prefixes whose offers went. */
  drop(peerId: string): string[] {
    const n = this.#neighbours.get(peerId);
    if (n === undefined) return [];
    this.#neighbours.delete(peerId);
    const prefixes = [...n.prefixes];
    for (const prefix of prefixes) this.#withdraw(peerId, n, prefix);
    for (const prefix of prefixes) this.#choose(prefix);
    return prefixes;
  }

  /** Drops every neighbour whose hold-down time has passed without an update. */
  expire(nowMs: number): { peerId: string; prefixes: string[] }[] {
    const expired: { peerId: string; prefixes: string[] }[] = [];
    for (const [peerId, n] of [...this.#neighbours]) {
      if (n.expiresAtMs < nowMs && n.prefixes.size > 0) expired.push({ peerId, prefixes: this.drop(peerId) });
    }
    return expired;
  }

  #acceptable(route: OfferedRoute): boolean {
    const own = this.o.ownAddress();
    return isValidAddress(route.prefix) && !route.path.includes(own) && !isUnder(route.prefix, own);
  }

  #offer(peerId: string, n: Neighbour, route: OfferedRoute): boolean {
    let byPeer = this.#offers.get(route.prefix);
    const isNew = byPeer?.has(peerId) !== true;
    if (isNew && this.#count >= this.o.maxLearnedRoutes) return false;
    if (byPeer === undefined) {
      byPeer = new Map();
      this.#offers.set(route.prefix, byPeer);
    }
    byPeer.set(peerId, { prefix: route.prefix, path: Object.freeze([...route.path]) });
    if (isNew) {
      n.prefixes.add(route.prefix);
      this.#count++;
    }
    return true;
  }

  #withdraw(peerId: string, n: Neighbour, prefix: string): boolean {
    const byPeer = this.#offers.get(prefix);
    if (byPeer?.delete(peerId) !== true) return false;
    if (byPeer.size === 0) this.#offers.delete(prefix);
    n.prefixes.delete(prefix);
    this.#count--;
    return true;
  }

  /** Writes the best offer of `prefix` into the table, or removes the learned route. */
  #choose(prefix: string): void {
    let best: { peerId: string; route: OfferedRoute; rank: number } | undefined;
    for (const [peerId, route] of this.#offers.get(prefix) ?? []) {
      const rank = RELATION_RANK[this.o.relationOf(peerId) ?? 'parent'];
      if (
        best === undefined ||
        route.path.length < best.route.path.length ||
        (route.path.length === best.route.path.length &&
          (rank < best.rank || (rank === best.rank && peerId < best.peerId)))
      ) {
        best = { peerId, route, rank };
      }
    }
    if (best === undefined) this.o.table.removeLearned(prefix);
    else this.o.table.setLearned(prefix, best.peerId, best.route.path);
  }
}
