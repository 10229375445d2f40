/**
 * A CCP speaker (ILPv4 route broadcasting as ilp-connector 23 does it, DESIGN §12): answers the
 * neighbours' route control requests and route updates, asks each neighbour we learn from for its
 * routes when its link comes up, and sends each neighbour that asked (mode SYNC) the log of our
 * advertised routes from the epoch it has reached: at once after a change (at most one update per
 * `MIN_UPDATE_INTERVAL_MS`), else every `broadcastIntervalMs` as a heartbeat that keeps our routes
 * alive there for `routeExpiryMs` (the hold-down time we announce).
 *
 * What we advertise for a prefix follows the routing table's winner at that prefix (configured or
 * learned), with our address prepended to its path; not the default route, not a bare scheme,
 * and not a configured route under our own address (our address covers it). A route a shorter
 * advertised prefix covers through an equal or better relation is marked covered (DRAGON,
 * dragon.ts); when what we advertise at a prefix changes, every prefix under it is looked at again.
 *
 * I/O goes through `send`; timers are unref'd and all stop with `stop()`.
 */
import {
  CCP_CONTROL_DESTINATION,
  CCP_MODE,
  CCP_UPDATE_DESTINATION,
  decodeCcpRouteControl,
  decodeCcpRouteUpdate,
  encodeCcpRouteControl,
  encodeCcpRouteUpdate,
  isUnder,
  isValidAddress,
} from '../../codec/index.js';
import type { Logger } from '../../utils/logger.js';
import type { RouteEntry } from '../routing-table.js';
import { type AdvertisedRoute, AdvertisedRoutes } from './advertised-routes.js';
import { type DragonView, dragonCovered } from './dragon.js';
import { type LearnedRouteSink, LearnedRoutes, type Relation } from './learned-routes.js';
import { PrefixTree } from './prefix-tree.js';

/** ilp-connector's MINIMUM_UPDATE_INTERVAL: changes are sent at most this often per neighbour. */
export const MIN_UPDATE_INTERVAL_MS = 150;
const MAX_EPOCHS_PER_UPDATE = 1000;
/** Routes per update are kept under ILP's 32,767 bytes of data. */
const MAX_UPDATE_BYTES = 30_000;

export interface CcpOptions {
  broadcastIntervalMs: number;
  routeExpiryMs: number;
  cleanupIntervalMs: number;
  maxLearnedRoutes: number;
  requestTimeoutMs: number;
}

export interface CcpSpeakerDeps {
  nodeId: string;
  ownAddress(): string;
  table: LearnedRouteSink & { routeAt(prefix: string): RouteEntry | undefined };
  relationOf(peerId: string): Relation | undefined;
  /** Whether we send routes to / accept routes from the peer; undefined for an unknown peer. */
  policy(peerId: string): { send: boolean; receive: boolean } | undefined;
  isConnected(peerId: string): boolean;
  /** Sends a peer-protocol Prepare; rejects when it is not fulfilled. */
  send(peerId: string, destination: string, data: Uint8Array, timeoutMs: number): Promise<void>;
  logger: Logger;
  options: CcpOptions;
}

interface Sender {
  mode: number;
  tableId: string;
  epoch: number;
  lastUpdateMs: number;
  /** After a failed update, not before this (a neighbour that keeps failing is not hammered). */
  retryAtMs: number;
  timer: NodeJS.Timeout | undefined;
  sending: boolean;
}

/** A refusal the peer-protocol stage turns into a reject (F00 for policy, F01 for bytes). */
export class CcpRefusal extends Error {
  constructor(
    readonly code: 'F00' | 'F01',
    message: string,
  ) {
    super(message);
  }
}

export class CcpSpeaker {
  readonly learned: LearnedRoutes;
  readonly advertised = new AdvertisedRoutes();
  /** Every prefix the table has a route at, as the speaker last saw it: DRAGON's descendants. */
  readonly #routed = new PrefixTree();
  readonly #dragon: DragonView;
  readonly #senders = new Map<string, Sender>();
  readonly #pending = new Set<string>();
  readonly #controlRetries = new Map<string, NodeJS.Timeout>();
  #cleanup: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(private readonly d: CcpSpeakerDeps) {
    this.learned = new LearnedRoutes({
      table: d.table,
      relationOf: d.relationOf,
      ownAddress: d.ownAddress,
      maxLearnedRoutes: d.options.maxLearnedRoutes,
    });
    this.#dragon = {
      nodeId: d.nodeId,
      relationOf: d.relationOf,
      advertisedNextHop: (prefix) => this.advertised.uncoveredNextHop(prefix),
    };
  }

  /** Starts the expiry sweep (what we advertise follows the table through `tableChanged`). */
  start(): void {
    this.#cleanup = setInterval(() => this.#expire(), this.d.options.cleanupIntervalMs);
    this.#cleanup.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#cleanup);
    for (const s of this.#senders.values()) clearTimeout(s.timer);
    for (const t of this.#controlRetries.values()) clearTimeout(t);
    this.#senders.clear();
    this.#controlRetries.clear();
  }

  /** The routing table changed at `prefix`; what we advertise follows once the change is whole. */
  tableChanged(prefix: string): void {
    if (this.#pending.size === 0) queueMicrotask(() => this.#flush());
    this.#pending.add(prefix);
  }

  /** Our address changed: every path we sent holds the old one, so a new table starts. */
  addressChanged(prefixes: Iterable<string>): void {
    for (const prefix of prefixes) this.#refresh(prefix);
    this.advertised.rebase();
    for (const peerId of this.#senders.keys()) this.#schedule(peerId);
  }

  linkUp(peerId: string): void {
    if (this.d.policy(peerId)?.receive === true) this.#sendControl(peerId);
  }

  linkDown(peerId: string): void {
    const s = this.#senders.get(peerId);
    if (s !== undefined) clearTimeout(s.timer);
    this.#senders.delete(peerId);
    clearTimeout(this.#controlRetries.get(peerId));
    this.#controlRetries.delete(peerId);
    this.learned.drop(peerId);
  }

  /** A `peer.route.control` Prepare's data from `peerId`. */
  handleControl(peerId: string, data: Uint8Array): void {
    if (this.d.policy(peerId)?.send !== true)
      throw new CcpRefusal(
        'F00',
        'rejecting route control message, we are configured not to send routes to you',
      );
    const control = decodeOr(() => decodeCcpRouteControl(data));
    let s = this.#senders.get(peerId);
    if (s === undefined) {
      s = {
        mode: CCP_MODE.idle,
        tableId: '',
        epoch: 0,
        lastUpdateMs: 0,
        retryAtMs: 0,
        timer: undefined,
        sending: false,
      };
      this.#senders.set(peerId, s);
    }
    s.mode = control.mode;
    s.retryAtMs = 0;
    s.tableId = this.advertised.tableId;
    s.epoch = control.lastKnownRoutingTableId === this.advertised.tableId ? control.lastKnownEpoch : 0;
    if (s.mode === CCP_MODE.sync) this.#schedule(peerId);
    else clearTimeout(s.timer);
  }

  /** A `peer.route.update` Prepare's data from `peerId`. */
  handleUpdate(peerId: string, data: Uint8Array, nowMs: number): void {
    if (this.d.policy(peerId)?.receive !== true)
      throw new CcpRefusal('F00', 'rejecting route update, we are configured not to receive routes from you');
    const update = decodeOr(() => decodeCcpRouteUpdate(data));
    const outcome = this.learned.apply(peerId, update, nowMs);
    if (outcome.kind === 'gap') {
      // Our epoch is behind what it sent: ask again from ours (ilp-connector's receiver just waits).
      this.#sendControl(peerId);
      return;
    }
    for (const prefix of outcome.changed) this.tableChanged(prefix);
  }

  #flush(): void {
    let changed = false;
    for (const prefix of this.#pending) changed = this.#refresh(prefix) || changed;
    this.#pending.clear();
    if (changed) for (const peerId of this.#senders.keys()) this.#schedule(peerId);
  }

  /**
   * Recomputes what we advertise for `prefix`; true when it changed. A change there may cover or
   * uncover the prefixes under it: each is recomputed, every one after those above it.
   */
  #refresh(prefix: string): boolean {
    if (this.d.table.routeAt(prefix) === undefined) this.#routed.delete(prefix);
    else this.#routed.add(prefix);
    if (!this.advertised.set(prefix, this.#advertisable(prefix))) return false;
    for (const under of this.#routed.under(prefix)) this.advertised.set(under, this.#advertisable(under));
    return true;
  }

  #advertisable(prefix: string): AdvertisedRoute | undefined {
    const route = this.d.table.routeAt(prefix);
    if (route === undefined || !isValidAddress(prefix)) return undefined;
    const own = this.d.ownAddress();
    if (route.origin === undefined && prefix !== own && isUnder(prefix, own)) return undefined;
    const path = [own, ...(route.path ?? [])];
    const covered = dragonCovered(prefix, route.nextHop, this.#dragon);
    return { prefix, nextHop: route.nextHop, path, auth: this.advertised.authFor(prefix), covered };
  }

  #expire(): void {
    for (const { peerId, prefixes } of this.learned.expire(Date.now())) {
      this.d.logger.warn({ peerId, routes: prefixes.length }, 'CCP routes of a silent peer expired');
      for (const prefix of prefixes) this.tableChanged(prefix);
      // Still linked: ask for its routes again, from the start.
      if (this.d.isConnected(peerId)) this.#sendControl(peerId);
    }
  }

  #schedule(peerId: string): void {
    const s = this.#senders.get(peerId);
    if (s === undefined || this.#stopped) return;
    clearTimeout(s.timer);
    s.timer = undefined;
    if (s.mode !== CCP_MODE.sync) return;
    const behind = s.tableId !== this.advertised.tableId || s.epoch < this.advertised.epoch;
    const now = Date.now();
    const wait = behind ? 0 : this.d.options.broadcastIntervalMs - (now - s.lastUpdateMs);
    const delay = Math.max(MIN_UPDATE_INTERVAL_MS, wait, s.retryAtMs - now);
    s.timer = setTimeout(() => this.#sendUpdate(peerId, s), delay);
    s.timer.unref();
  }

  #sendUpdate(peerId: string, s: Sender): void {
    s.timer = undefined;
    if (s.sending || this.#senders.get(peerId) !== s) return;
    s.lastUpdateMs = Date.now();
    if (!this.d.isConnected(peerId)) return;
    if (s.tableId !== this.advertised.tableId) {
      s.tableId = this.advertised.tableId;
      s.epoch = 0;
    }
    const slice = this.advertised.slice(
      s.epoch,
      peerId,
      this.d.relationOf,
      MAX_EPOCHS_PER_UPDATE,
      MAX_UPDATE_BYTES,
    );
    const data = encodeCcpRouteUpdate({
      routingTableId: s.tableId,
      currentEpochIndex: this.advertised.epoch,
      fromEpochIndex: slice.fromEpoch,
      toEpochIndex: slice.toEpoch,
      holdDownTime: this.d.options.routeExpiryMs,
      speaker: this.d.ownAddress(),
      newRoutes: slice.newRoutes.map((r) => ({
        prefix: r.prefix,
        path: [...r.path],
        auth: r.auth,
        props: [],
      })),
      withdrawnRoutes: slice.withdrawn,
    });
    const previous = s.epoch;
    s.epoch = slice.toEpoch;
    s.sending = true;
    this.d
      .send(peerId, CCP_UPDATE_DESTINATION, data, this.d.options.requestTimeoutMs)
      .then(() => {
        s.retryAtMs = 0;
      })
      .catch((err: unknown) => {
        if (s.tableId === this.advertised.tableId) s.epoch = Math.min(s.epoch, previous);
        s.retryAtMs = Date.now() + this.d.options.broadcastIntervalMs;
        this.d.logger.debug({ err, peerId }, 'CCP route update not delivered');
      })
      .finally(() => {
        s.sending = false;
        this.#schedule(peerId);
      });
  }

  #sendControl(peerId: string): void {
    if (this.#stopped || !this.d.isConnected(peerId)) return;
    clearTimeout(this.#controlRetries.get(peerId));
    this.#controlRetries.delete(peerId);
    const { tableId, epoch } = this.learned.position(peerId);
    const data = encodeCcpRouteControl({
      mode: CCP_MODE.sync,
      lastKnownRoutingTableId: tableId,
      lastKnownEpoch: epoch,
      features: [],
    });
    this.d
      .send(peerId, CCP_CONTROL_DESTINATION, data, this.d.options.requestTimeoutMs)
      .catch((err: unknown) => {
        this.d.logger.debug({ err, peerId }, 'CCP route control not accepted; retrying');
        if (this.#stopped) return;
        const retry = setTimeout(
          () => this.#sendControl(peerId),
          Math.min(30_000, this.d.options.broadcastIntervalMs),
        );
        retry.unref();
        this.#controlRetries.set(peerId, retry);
      });
  }
}

function decodeOr<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw new CcpRefusal('F01', `malformed CCP message: ${(err as Error).message}`);
  }
}
