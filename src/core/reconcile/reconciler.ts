/**
 * Reconciliation of in-flight packets (docs/settlement.md, "In-flight packets across a crash").
 * Asks each next hop, over the `ilp-fulfillment-query` BTP sub-protocol, about the Prepares it
 * sent that got no answer (a timeout, a closed link, or a crash of this node), once their expiry
 * (plus `graceMs`) has passed, and books those the peer proves fulfilled (sha256 of the
 * fulfillment equals the stored condition). A peer that says it did not fulfill one settles it; a
 * wrong fulfillment is refused; past `windowMs` after the expiry the record is given up (voided).
 * Answers the same question from peers out of the memos of fulfillments we passed on.
 * Bounded: one query in flight per peer, at most MAX_QUERY_ENTRIES keys each, `maxOpen` records.
 */
import { CONTENT_TYPE, type ProtocolData } from '../../codec/index.js';
import { type InFlightHold, type InFlightJournal, type Ledger, TRANSFER_RESULT } from '../../ledger/index.js';
import type { Logger } from '../../utils/logger.js';
import { fulfills } from '../fulfillment.js';
import {
  ANSWERED_UPSTREAM,
  decodeAnswers,
  decodeMemo,
  decodeQuery,
  decodeTag,
  encodeAnswers,
  encodeMemo,
  encodeQuery,
  FULFILLMENT_QUERY_SUB_PROTOCOL,
  type InFlightTag,
  keyString,
  MAX_QUERY_ENTRIES,
  type PacketKey,
  QUERY_STATUS,
  type QueryAnswer,
} from './codec.js';
import { DEFAULT_RECONCILE_WINDOW_MS, inFlightJournal } from './in-flight.js';

export interface ReconcilerOptions {
  ledger: () => Ledger;
  links: {
    isConnected(peerId: string): boolean;
    request(peerId: string, protocolData: ProtocolData[], timeoutMs?: number): Promise<ProtocolData[]>;
  };
  logger: Logger;
  now?: () => number;
  /** How often open records are looked at. Default 1,000. */
  intervalMs?: number;
  /** Wait this long after a packet's expiry before asking (its own answer may still come). Default 1,000. */
  graceMs?: number;
  /** Give up this long after a packet's expiry. Default 600,000. */
  windowMs?: number;
  requestTimeoutMs?: number;
  /** Open records beyond this many are given up, oldest first. Default 100,000. */
  maxOpen?: number;
  /** Told after a reconciled Fulfill to this peer was booked (settlement). */
  fulfilledTo?: ((peerId: string) => void) | undefined;
}

interface Due {
  hold: InFlightHold;
  tag: InFlightTag;
}

export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #now: () => number;
  readonly #asking = new Set<string>();
  /** Upstream packets (bookingKey) whose fulfillment is being booked, until their memo exists. */
  readonly #booking = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.tick(), this.#o.intervalMs ?? 1000).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  linkUp(_peerId: string): void {
    if (this.#timer !== undefined) void this.tick();
  }

  /** One pass over the open records; resolves when its queries are answered. */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const journal = this.#journal();
    if (journal === undefined) return;
    const now = this.#now();
    const graceMs = this.#o.graceMs ?? 1000;
    const windowMs = this.#o.windowMs ?? DEFAULT_RECONCILE_WINDOW_MS;
    const open = journal.openInFlight();
    const byPeer = new Map<string, Due[]>();
    let givenUp = 0;
    const excess = open.length - (this.#o.maxOpen ?? 100_000);
    for (const [i, hold] of open.entries()) {
      let tag: InFlightTag;
      try {
        tag = decodeTag(hold.tag);
      } catch (err) {
        this.#o.logger.error(
          { err, id: hold.id.toString() },
          'reconciliation: an in-flight record does not decode',
        );
        journal.settleInFlight(hold.id);
        continue;
      }
      if (i < excess || tag.out.expiresAtMs + windowMs < now) {
        journal.settleInFlight(hold.id);
        givenUp++;
        continue;
      }
      // A packet still in the pipeline waits for its own answer; one whose answer was lost (a closed
      // link, our restart) is asked about at once: the peer answers "pending" until its expiry.
      if (tag.out.expiresAtMs + graceMs > now && !journal.outcomeLost(hold.id)) continue;
      const due = byPeer.get(tag.peerId);
      if (due === undefined) byPeer.set(tag.peerId, [{ hold, tag }]);
      else if (due.length < MAX_QUERY_ENTRIES) due.push({ hold, tag });
    }
    if (givenUp > 0)
      this.#o.logger.warn({ count: givenUp }, 'reconciliation: gave up in-flight packets (voided)');
    const asked: Promise<void>[] = [];
    for (const [peerId, due] of byPeer) {
      if (this.#asking.has(peerId) || !this.#o.links.isConnected(peerId)) continue;
      this.#asking.add(peerId);
      asked.push(this.#ask(journal, peerId, due).finally(() => this.#asking.delete(peerId)));
    }
    await Promise.all(asked);
  }

  async #ask(journal: InFlightJournal, peerId: string, due: Due[]): Promise<void> {
    let answers: QueryAnswer[];
    try {
      const data = encodeQuery(due.map((d) => d.tag.out));
      const reply = await this.#o.links.request(
        peerId,
        [{ protocolName: FULFILLMENT_QUERY_SUB_PROTOCOL, contentType: CONTENT_TYPE.octetStream, data }],
        this.#o.requestTimeoutMs ?? 5000,
      );
      const entry = reply.find((e) => e.protocolName === FULFILLMENT_QUERY_SUB_PROTOCOL);
      // A peer that does not speak it: the records wait for the window to end.
      if (entry === undefined) return;
      answers = decodeAnswers(entry.data, due.length);
    } catch (err) {
      this.#o.logger.debug({ err, peerId }, 'reconciliation: query failed');
      return;
    }
    const counts = { fulfilled: 0, amount: 0n, voided: 0, refused: 0, pending: 0 };
    for (const [i, answer] of answers.entries()) {
      const { hold, tag } = due[i]!;
      if (answer.status === QUERY_STATUS.fulfilled) {
        if (!fulfills(answer.fulfillment, tag.out.condition)) counts.refused++;
        else if (await this.#book(journal, hold, tag, answer.fulfillment)) {
          counts.fulfilled++;
          counts.amount += hold.amount;
        }
      } else if (answer.status === QUERY_STATUS.pending) {
        counts.pending++;
      } else {
        journal.settleInFlight(hold.id);
        counts.voided++;
      }
    }
    if (counts.refused > 0) {
      this.#o.logger.warn(
        { peerId, count: counts.refused },
        'reconciliation: refused fulfillments that do not match',
      );
    }
    if (counts.fulfilled + counts.voided > 0) {
      const { fulfilled, voided, pending } = counts;
      this.#o.logger.info(
        { peerId, fulfilled, amount: counts.amount.toString(), voided, pending },
        'reconciliation: in-flight packets resolved with the peer',
      );
      if (fulfilled > 0) this.#o.fulfilledTo?.(peerId);
    }
  }

  async #book(journal: InFlightJournal, hold: InFlightHold, tag: InFlightTag, fulfillment: Uint8Array) {
    // The upstream peer got no answer from us (we crashed): it may ask us in turn. The ledger takes
    // the record off the open list before the posting is durable, and the memo comes after: in
    // between, that peer is answered "pending", not "unknown" (it would void what we book).
    const upstream = upstreamOf(tag);
    const booking = upstream === undefined ? undefined : bookingKey(upstream.peerId, upstream.key);
    if (booking !== undefined) this.#booking.add(booking);
    try {
      let result: string;
      try {
        result = await journal.reconcileInFlight(hold.id);
      } catch (err) {
        this.#o.logger.error({ err }, 'reconciliation: the ledger could not book a fulfilled packet');
        return false;
      }
      if (result !== TRANSFER_RESULT.ok && result !== TRANSFER_RESULT.exists) {
        this.#o.logger.error(
          { result, id: hold.id.toString() },
          'reconciliation: the ledger refused a fulfilled packet',
        );
        return false;
      }
      if (upstream !== undefined) {
        const until = upstream.key.expiresAtMs + (this.#o.windowMs ?? DEFAULT_RECONCILE_WINDOW_MS);
        journal.memo(until, encodeMemo({ ...upstream, fulfillment }));
      }
      return true;
    } finally {
      if (booking !== undefined) this.#booking.delete(booking);
    }
  }

  /** The BTP sub-protocol's server side: what we know of the Prepares `peerId` sent us. */
  answer(peerId: string, data: Uint8Array): ProtocolData[] {
    const keys = decodeQuery(data);
    const journal = this.#journal();
    const answers: QueryAnswer[] = [];
    if (journal === undefined) {
      for (let i = 0; i < keys.length; i++) answers.push({ status: QUERY_STATUS.unknown });
    } else {
      const { fulfilled, pending } = this.#index(journal, peerId);
      // Before its expiry (and the grace) a Prepare may still be on its way through this node,
      // not yet recorded (a local delivery, say): "unknown" only once it can no longer be fulfilled.
      const undecided = this.#now() - (this.#o.graceMs ?? 1000);
      for (const key of keys) {
        const k = keyString(key);
        const fulfillment = fulfilled.get(k);
        if (fulfillment !== undefined) answers.push({ status: QUERY_STATUS.fulfilled, fulfillment });
        else if (pending.has(k) || this.#booking.has(bookingKey(peerId, key)) || key.expiresAtMs > undecided)
          answers.push({ status: QUERY_STATUS.pending });
        else answers.push({ status: QUERY_STATUS.unknown });
      }
    }
    const reply = encodeAnswers(answers);
    return [
      { protocolName: FULFILLMENT_QUERY_SUB_PROTOCOL, contentType: CONTENT_TYPE.octetStream, data: reply },
    ];
  }

  /** Built per query (queries are rare: after a crash or a lost answer). */
  #index(journal: InFlightJournal, peerId: string) {
    const fulfilled = new Map<string, Uint8Array>();
    for (const memo of journal.memos(this.#now())) {
      try {
        const m = decodeMemo(memo.data);
        if (m.peerId === peerId) fulfilled.set(keyString(m.key), m.fulfillment);
      } catch {
        // not ours to answer with
      }
    }
    // Prepares we forwarded and are still reconciling ourselves: ask again later.
    const pending = new Set<string>();
    for (const hold of journal.openInFlight()) {
      try {
        const upstream = upstreamOf(decodeTag(hold.tag));
        if (upstream?.peerId === peerId) pending.add(keyString(upstream.key));
      } catch {
        // the reconciler's tick reports it
      }
    }
    return { fulfilled, pending };
  }

  #journal(): InFlightJournal | undefined {
    try {
      return inFlightJournal(this.#o.ledger());
    } catch {
      return undefined;
    }
  }
}

/** The upstream peer and its key of a recorded packet it may ask us about (not answered yet). */
function upstreamOf(tag: InFlightTag): { peerId: string; key: PacketKey } | undefined {
  if (tag.sourceId === undefined || (tag.flags & ANSWERED_UPSTREAM) !== 0) return undefined;
  const key = { condition: tag.out.condition, expiresAtMs: tag.inExpiresAtMs, amount: tag.inAmount };
  return { peerId: tag.sourceId, key };
}

function bookingKey(peerId: string, key: PacketKey): string {
  return `${peerId}\n${keyString(key)}`;
}
