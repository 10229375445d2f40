/**
 * DRAGON route filtering (Distributed Route Aggregation on the Global Network, Sobrinho et al.,
 * CoNEXT 2014), as ilp-connector 23 applies it (src/routing/dragon.ts, `canDragonFilter`, called
 * for every route entering its forwarding routing table): a route for a prefix is not advertised
 * when a shorter prefix covering it (on segment boundaries) is advertised through a next hop
 * whose relation is at least as preferred (parent 0 < peer 1 < child 2 < local 3, the higher
 * the better); a covering route whose next hop is this node itself (a local route) never counts.
 * Neighbours reach the covered prefix through the covering route, and our longest-prefix lookup
 * forwards it the right way. It only makes tables smaller.
 *
 * One difference: ilp-connector hides the covered route from every neighbour, including the
 * covering route's own next hop, which split horizon keeps from seeing the covering route, so
 * that neighbour could lose the covered prefix altogether. We still send the covered route to
 * that one neighbour when every covering route goes through it (`CoveredRoute.to`).
 */
import type { Relation } from './learned-routes.js';

/** ilp-connector's getRelationPriority: the higher, the more preferred. */
const PRIORITY: Record<Relation | 'local', number> = { parent: 0, peer: 1, child: 2, local: 3 };

/** How a route is covered: sent only `to` that neighbour, or to none when undefined. */
export interface Covered {
  readonly to: string | undefined;
}

export interface DragonView {
  /** The node's own id: the next hop of its local routes. */
  readonly nodeId: string;
  relationOf(peerId: string): Relation | undefined;
  /** The route we advertise uncovered at exactly `prefix` (its next hop), if any. */
  advertisedNextHop(prefix: string): string | undefined;
}

/**
 * Whether the route for `prefix` through `nextHop` is covered by a shorter prefix we advertise
 * (undefined: not covered, advertise it as usual).
 */
export function dragonCovered(prefix: string, nextHop: string, view: DragonView): Covered | undefined {
  const own = priority(nextHop, view);
  if (own === undefined) return undefined;
  let covered = false;
  let to: string | undefined;
  for (let dot = prefix.indexOf('.'); dot > 0; dot = prefix.indexOf('.', dot + 1)) {
    const parent = prefix.slice(0, dot);
    const via = view.advertisedNextHop(parent);
    if (via === undefined || via === view.nodeId) continue;
    const p = priority(via, view);
    if (p === undefined || p < own) continue;
    to = !covered || to === via ? via : undefined;
    covered = true;
  }
  return covered ? { to } : undefined;
}

function priority(nextHop: string, view: DragonView): number | undefined {
  if (nextHop === view.nodeId) return PRIORITY.local;
  const relation = view.relationOf(nextHop);
  return relation === undefined ? undefined : PRIORITY[relation];
}

/** Whether a route covered as `covered` is hidden from neighbour `peerId`. */
export function hiddenByDragon(covered: Covered | undefined, peerId: string): boolean {
  return covered !== undefined && covered.to !== peerId;
}
