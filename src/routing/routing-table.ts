/**
 * The routing table: ILP address prefix -> next hop (DESIGN.md §3 step 6).
 *
 * Matching is longest prefix on '.' boundaries (RFC 15 addresses are hierarchical): 'g.a' matches
 * 'g.a' and 'g.a.b' but not 'g.ab'; '' is the default route. Several routes may share a prefix;
 * the highest priority wins and, among equals, the route added first.
 *
 * Lookup probes a Map once per segment of the destination, longest first, so its cost depends on
 * the destination's length, never on the number of routes. The winner of each prefix is computed
 * when routes change, so lookup does no sorting and allocates only the probed substrings.
 */
import { ConnectorError } from '../utils/errors.js';

export interface RouteEntry {
  readonly prefix: string;
  readonly nextHop: string;
  readonly priority: number;
  /** Set on routes learned by CCP (routing/ccp/); absent on configured ones, which always win. */
  readonly origin?: 'learned';
  /** A learned route's path as the neighbour advertised it (its own address first). */
  readonly path?: readonly string[];
}

/** The spec's name for an entry of listRoutes(). */
export type RouteInfo = RouteEntry;

export interface RoutingTableOptions {
  /** Upper bound on the number of routes; adding beyond it throws. Default 1,000,000. */
  maxRoutes?: number;
  /** Told of every route added or removed (the Explorer's events); must not throw. */
  onChange?: ((change: 'added' | 'removed', route: RouteEntry) => void) | undefined;
}

/** RFC 15: an ILP address (and so a prefix of one) is at most 1023 characters. */
export const MAX_PREFIX_CHARS = 1023;
export const DEFAULT_MAX_ROUTES = 1_000_000;
const PREFIX = /^[A-Za-z0-9_~-]+(?:\.[A-Za-z0-9_~-]+)*$/;
const NEXT_HOP = /^[A-Za-z0-9_~-]+$/;

/** A route plus the order it was first added in, which breaks priority ties. */
interface Ranked {
  readonly entry: RouteEntry;
  readonly seq: number;
}

function samePath(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((hop, i) => hop === b[i]);
}

function invalid(message: string): ConnectorError {
  return new ConnectorError('ERR_ROUTE_INVALID', message);
}

function validate(prefix: string, nextHop: string, priority: number): void {
  if (typeof prefix !== 'string') throw invalid('route prefix must be a string');
  if (prefix.length > MAX_PREFIX_CHARS) {
    throw invalid(`route prefix is ${prefix.length} characters; the maximum is ${MAX_PREFIX_CHARS}`);
  }
  if (prefix !== '' && !PREFIX.test(prefix)) {
    const shown = JSON.stringify(prefix.slice(0, 64));
    throw invalid(`route prefix ${shown} must be '.'-separated non-empty segments of A-Z a-z 0-9 _ ~ -`);
  }
  if (typeof nextHop !== 'string' || !NEXT_HOP.test(nextHop)) {
    throw invalid(`route nextHop ${JSON.stringify(nextHop)} must be a non-empty id of A-Z a-z 0-9 _ ~ -`);
  }
  if (!Number.isSafeInteger(priority)) throw invalid(`route priority must be an integer, got ${priority}`);
}

const learnedRank = (r: Ranked): number => (r.entry.origin === undefined ? 0 : 1);

/** Configured before learned (DESIGN §12), then priority, then the order added. */
function byPrecedence(a: Ranked, b: Ranked): number {
  return learnedRank(a) - learnedRank(b) || b.entry.priority - a.entry.priority || a.seq - b.seq;
}

export class RoutingTable {
  /** Winner per prefix: the only structure lookup touches. */
  readonly #best = new Map<string, RouteEntry>();
  /** All routes per prefix, in precedence order. */
  readonly #buckets = new Map<string, Ranked[]>();
  readonly #maxRoutes: number;
  readonly #onChange: RoutingTableOptions['onChange'];
  #size = 0;
  #seq = 0;
  /** Longest prefix held: longer candidates cannot match, so lookup skips slicing them. */
  #longest = 0;

  constructor(options: RoutingTableOptions = {}) {
    this.#maxRoutes = options.maxRoutes ?? DEFAULT_MAX_ROUTES;
    this.#onChange = options.onChange;
  }

  /** Number of routes (not prefixes). */
  get size(): number {
    return this.#size;
  }

  /** Adds a route; a route with the same prefix and nextHop is replaced but keeps its tie order. */
  addRoute(prefix: string, nextHop: string, priority = 0): void {
    validate(prefix, nextHop, priority);
    this.#put(Object.freeze({ prefix, nextHop, priority }));
  }

  /**
   * Sets the one learned route of `prefix` (routing/ccp/ chose it among the peers' offers),
   * replacing any learned route there; configured routes at the prefix keep winning.
   */
  setLearned(prefix: string, nextHop: string, path: readonly string[]): void {
    validate(prefix, nextHop, 0);
    const old = this.#buckets.get(prefix)?.find((r) => r.entry.origin !== undefined);
    if (old !== undefined && old.entry.nextHop === nextHop && samePath(old.entry.path, path)) return;
    const entry: RouteEntry = Object.freeze({
      prefix,
      nextHop,
      priority: 0,
      origin: 'learned',
      path: Object.freeze([...path]),
    });
    this.#put(entry);
  }

  /** Removes the learned route of `prefix`, if any. */
  removeLearned(prefix: string): boolean {
    return this.#remove(prefix, (r) => r.entry.origin !== undefined);
  }

  /** The winning route stored at exactly `prefix` (no longest-prefix search). */
  routeAt(prefix: string): RouteEntry | undefined {
    return this.#best.get(prefix);
  }

  #put(entry: RouteEntry): void {
    const { prefix, nextHop } = entry;
    const bucket = this.#buckets.get(prefix) ?? [];
    // A prefix holds one learned route at most: a new one replaces it in place.
    const at =
      entry.origin === undefined
        ? bucket.findIndex((r) => r.entry.nextHop === nextHop && r.entry.origin === undefined)
        : bucket.findIndex((r) => r.entry.origin !== undefined);
    if (at >= 0) {
      bucket[at] = { entry, seq: bucket[at]?.seq ?? this.#seq++ };
    } else {
      if (this.#size >= this.#maxRoutes)
        throw invalid(`routing table is full (maxRoutes ${this.#maxRoutes})`);
      bucket.push({ entry, seq: this.#seq++ });
      this.#size++;
    }
    bucket.sort(byPrecedence);
    this.#buckets.set(prefix, bucket);
    this.#best.set(prefix, bucket[0]?.entry ?? entry);
    if (prefix.length > this.#longest) this.#longest = prefix.length;
    this.#onChange?.('added', entry);
  }

  /**
   * Removes the configured route via `nextHop` at `prefix`, or every configured route at `prefix`
   * when nextHop is omitted. Learned routes stay: they go when their peer withdraws them.
   */
  removeRoute(prefix: string, nextHop?: string): boolean {
    return this.#remove(
      prefix,
      (r) => r.entry.origin === undefined && (nextHop === undefined || r.entry.nextHop === nextHop),
    );
  }

  #remove(prefix: string, drop: (r: Ranked) => boolean): boolean {
    const bucket = this.#buckets.get(prefix);
    if (bucket === undefined) return false;
    const kept = bucket.filter((r) => !drop(r));
    if (kept.length === bucket.length) return false;
    this.#replaceBucket(prefix, kept, bucket.length - kept.length);
    return true;
  }

  /** Removes every route whose next hop is `nextHop` (e.g. a peer that was removed); returns the count. */
  removeRoutesVia(nextHop: string): number {
    let removed = 0;
    for (const [prefix, bucket] of [...this.#buckets]) {
      const kept = bucket.filter((r) => r.entry.nextHop !== nextHop);
      if (kept.length === bucket.length) continue;
      removed += bucket.length - kept.length;
      this.#replaceBucket(prefix, kept, bucket.length - kept.length);
    }
    return removed;
  }

  /** The winning route for `destination`, or undefined when nothing (not even a default) matches. */
  lookup(destination: string): RouteEntry | undefined {
    const best = this.#best;
    const length = destination.length;
    let end = length;
    while (end > 0) {
      if (end <= this.#longest) {
        const route = best.get(end === length ? destination : destination.slice(0, end));
        if (route !== undefined) return route;
      }
      end = destination.lastIndexOf('.', end - 1);
    }
    return best.get('');
  }

  /** Every route, sorted by prefix, and within a prefix in precedence order (winner first). */
  listRoutes(): RouteInfo[] {
    const prefixes = [...this.#buckets.keys()].sort();
    return prefixes.flatMap((p) => (this.#buckets.get(p) ?? []).map((r) => r.entry));
  }

  #replaceBucket(prefix: string, kept: Ranked[], removed: number): void {
    this.#size -= removed;
    if (this.#onChange !== undefined) {
      const gone = (this.#buckets.get(prefix) ?? []).filter((r) => !kept.includes(r));
      for (const r of gone) this.#onChange('removed', r.entry);
    }
    const winner = kept[0];
    if (winner !== undefined) {
      this.#buckets.set(prefix, kept);
      this.#best.set(prefix, winner.entry);
      return;
    }
    this.#buckets.delete(prefix);
    this.#best.delete(prefix);
    if (prefix.length === this.#longest) {
      this.#longest = 0;
      for (const p of this.#buckets.keys()) if (p.length > this.#longest) this.#longest = p.length;
    }
  }
}
