/**
 * What we tell our neighbours by CCP: one advertised route per prefix and the log of its changes
 * by epoch (ilp-connector's forwarding routing table). Each change of a prefix's advertised next
 * hop or path takes the next epoch and clears the prefix's older log slot, so a neighbour that
 * has reached epoch e needs only the log from e on. A routing table id (a random UUID) names the
 * log; `rebase` starts a new one, compacted, when cleared slots outnumber live ones.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { type Covered, hiddenByDragon } from './dragon.js';
import type { Relation } from './learned-routes.js';

export interface AdvertisedRoute {
  readonly prefix: string;
  /** Our next hop for it (our own node id for local routes): never advertised back to it. */
  readonly nextHop: string;
  /** As sent: our address first. */
  readonly path: readonly string[];
  readonly auth: Uint8Array;
  /** Covered by a shorter prefix we advertise (DRAGON, dragon.ts): sent only to `covered.to`. */
  readonly covered?: Covered | undefined;
}

interface LogEntry {
  readonly prefix: string;
  /** undefined: withdrawn. */
  readonly route: AdvertisedRoute | undefined;
  readonly epoch: number;
}

export interface UpdateSlice {
  fromEpoch: number;
  toEpoch: number;
  newRoutes: AdvertisedRoute[];
  withdrawn: string[];
}

/** Bytes an advertised route takes on the wire, near enough to keep an update under a bound. */
function wireSize(r: AdvertisedRoute): number {
  return 3 + r.prefix.length + 3 + r.path.reduce((n, hop) => n + 3 + hop.length, 0) + 32 + 2;
}

export class AdvertisedRoutes {
  #tableId = randomUUID();
  #log: (LogEntry | null)[] = [];
  readonly #current = new Map<string, LogEntry>();
  readonly #secret = randomBytes(32);

  get tableId(): string {
    return this.#tableId;
  }

  /** The next epoch to be written: the log's length. */
  get epoch(): number {
    return this.#log.length;
  }

  get size(): number {
    return this.#current.size;
  }

  /** The next hop of the route advertised at exactly `prefix`, unless withdrawn or covered. */
  uncoveredNextHop(prefix: string): string | undefined {
    const route = this.#current.get(prefix)?.route;
    return route === undefined || route.covered !== undefined ? undefined : route.nextHop;
  }

  /** An auth value for a route we originate (ilp-connector's hmac(routingSecret, prefix)). */
  authFor(prefix: string): Uint8Array {
    return new Uint8Array(createHmac('sha256', this.#secret).update(prefix).digest());
  }

  /** Sets what we advertise for `prefix`; returns true when that changed (a new epoch). */
  set(prefix: string, route: AdvertisedRoute | undefined): boolean {
    const old = this.#current.get(prefix);
    if (old === undefined && route === undefined) return false;
    if (old?.route !== undefined && route !== undefined && sameRoute(old.route, route)) return false;
    if (old !== undefined && old.route === undefined && route === undefined) return false;
    const entry: LogEntry = { prefix, route, epoch: this.#log.length };
    if (old !== undefined) this.#log[old.epoch] = null;
    this.#log.push(entry);
    this.#current.set(prefix, entry);
    if (this.#log.length > 4 * this.#current.size + 10_000) this.rebase();
    return true;
  }

  /** A new table id and a log of only the live routes (neighbours resynchronise from epoch 0). */
  rebase(): void {
    this.#tableId = randomUUID();
    const live = [...this.#current.values()].filter((e) => e.route !== undefined);
    this.#current.clear();
    this.#log = live.map((e, epoch) => {
      const entry = { prefix: e.prefix, route: e.route, epoch };
      this.#current.set(e.prefix, entry);
      return entry;
    });
  }

  /**
   * The log from `fromEpoch` for neighbour `peerId`, at most `maxEpochs` epochs and about
   * `maxBytes` of routes. Routes through that neighbour go to it as withdrawals (split horizon),
   * and so do routes through peers and parents when it is our parent (as ilp-connector does), and
   * routes DRAGON covers, unless it is the one neighbour they still go to.
   */
  slice(
    fromEpoch: number,
    peerId: string,
    relationOf: (id: string) => Relation | undefined,
    maxEpochs: number,
    maxBytes: number,
  ): UpdateSlice {
    const toParent = relationOf(peerId) === 'parent';
    const newRoutes: AdvertisedRoute[] = [];
    const withdrawn: string[] = [];
    let bytes = 0;
    let epoch = Math.min(fromEpoch, this.#log.length);
    const end = Math.min(this.#log.length, epoch + maxEpochs);
    for (; epoch < end; epoch++) {
      const entry = this.#log[epoch];
      if (entry === null || entry === undefined) continue;
      const size = entry.route === undefined ? 3 + entry.prefix.length : wireSize(entry.route);
      if (bytes + size > maxBytes && bytes > 0) break;
      bytes += size;
      const route = entry.route;
      const hidden =
        route !== undefined &&
        (route.nextHop === peerId ||
          hiddenByDragon(route.covered, peerId) ||
          (toParent && relationOf(route.nextHop) !== 'child' && relationOf(route.nextHop) !== undefined));
      if (route === undefined || hidden) withdrawn.push(entry.prefix);
      else newRoutes.push(route);
    }
    return { fromEpoch, toEpoch: epoch, newRoutes, withdrawn };
  }
}

function sameRoute(a: AdvertisedRoute, b: AdvertisedRoute): boolean {
  return (
    a.nextHop === b.nextHop &&
    a.covered?.to === b.covered?.to &&
    (a.covered === undefined) === (b.covered === undefined) &&
    a.path.length === b.path.length &&
    a.path.every((hop, i) => hop === b.path[i])
  );
}
