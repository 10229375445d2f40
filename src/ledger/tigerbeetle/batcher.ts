/**
 * Gathers the TigerBeetle backend's requests into few: every call queues a job (a linked chain of
 * transfers, some accounts, some ids to look up); jobs queued in the same event-loop turn, and
 * all jobs queued while a request is in flight, leave together as one request per operation of
 * up to `maxBatch` events. One request is in flight at a time (a TigerBeetle client runs one at a
 * time anyway), so under load batches grow instead of requests multiplying, and a request sees
 * the effects of every request sent before it. Each job is answered from the result list by its
 * events' indexes.
 */
import { ConnectorError } from '../../utils/errors.js';
import {
  failuresByIndex,
  type TbAccount,
  type TbCreateResult,
  type TbTransfer,
  type TigerBeetleClientLike,
} from './client.js';

interface Job<E, R> {
  events: E[];
  resolve(result: R): void;
  reject(error: ConnectorError): void;
}

type Send<E, R> = (client: TigerBeetleClientLike, jobs: Job<E, R>[], batch: E[]) => Promise<void>;

/** A queue as the pump sees it, whatever its events and results. */
interface Pump {
  readonly events: number;
  rejectAll(error: ConnectorError): void;
  /**
   * Takes the oldest jobs that fit in one request (a job is never split), reports how many events
   * it took, then sends them.
   */
  sendNext(client: TigerBeetleClientLike, maxBatch: number, taken: (events: number) => void): Promise<void>;
}

class Queue<E, R> implements Pump {
  jobs: Job<E, R>[] = [];
  events = 0;
  constructor(
    readonly operation: string,
    readonly send: Send<E, R>,
  ) {}

  rejectAll(error: ConnectorError): void {
    for (const job of this.jobs) job.reject(error);
    this.jobs = [];
    this.events = 0;
  }

  async sendNext(
    client: TigerBeetleClientLike,
    maxBatch: number,
    taken: (events: number) => void,
  ): Promise<void> {
    let count = 0;
    let size = 0;
    for (const job of this.jobs) {
      if (count > 0 && size + job.events.length > maxBatch) break;
      count++;
      size += job.events.length;
    }
    const jobs = this.jobs.splice(0, count);
    const batch: E[] = [];
    for (const job of jobs) for (const event of job.events) batch.push(event);
    this.events -= batch.length;
    taken(batch.length);
    try {
      await this.send(client, jobs, batch);
    } catch (cause) {
      const error =
        cause instanceof ConnectorError
          ? cause
          : new ConnectorError('ERR_LEDGER', `TigerBeetle ${this.operation} failed: ${String(cause)}`, {
              cause,
            });
      for (const job of jobs) job.reject(error);
    }
  }
}

export interface BatcherOptions {
  maxBatch: number;
  maxQueuedEvents: number;
}

/** Per-event result codes of one create job: 0 for created, else TigerBeetle's code. */
export type EventCodes = number[];

function createSend<E>(call: (c: TigerBeetleClientLike, b: E[]) => Promise<readonly TbCreateResult[]>) {
  return async (client: TigerBeetleClientLike, jobs: Job<E, EventCodes>[], batch: E[]) => {
    const failures = failuresByIndex(await call(client, batch));
    let offset = 0;
    for (const job of jobs) {
      const start = offset;
      job.resolve(job.events.map((_, i) => failures.get(start + i) ?? 0));
      offset += job.events.length;
    }
  };
}

function lookupSend<T extends { id: bigint }>(
  call: (c: TigerBeetleClientLike, ids: bigint[]) => Promise<readonly T[]>,
) {
  return async (client: TigerBeetleClientLike, jobs: Job<bigint, (T | undefined)[]>[], batch: bigint[]) => {
    const found = new Map<bigint, T>();
    for (const item of await call(client, [...new Set(batch)])) found.set(item.id, item);
    for (const job of jobs) job.resolve(job.events.map((id) => found.get(id)));
  };
}

export class TigerBeetleBatcher {
  readonly #client: TigerBeetleClientLike;
  readonly #options: BatcherOptions;
  readonly #accounts = new Queue<TbAccount, EventCodes>(
    'createAccounts',
    createSend((c, b) => c.createAccounts(b)),
  );
  readonly #transfers = new Queue<TbTransfer, EventCodes>(
    'createTransfers',
    createSend((c, b) => c.createTransfers(b)),
  );
  readonly #lookupAccounts = new Queue<bigint, (TbAccount | undefined)[]>(
    'lookupAccounts',
    lookupSend((c, ids) => c.lookupAccounts(ids)),
  );
  readonly #lookupTransfers = new Queue<bigint, (TbTransfer | undefined)[]>(
    'lookupTransfers',
    lookupSend((c, ids) => c.lookupTransfers(ids)),
  );
  readonly #queues: readonly Pump[] = [
    this.#accounts,
    this.#transfers,
    this.#lookupAccounts,
    this.#lookupTransfers,
  ];
  #queuedEvents = 0;
  #scheduled = false;
  #inFlight = false;
  #idle: (() => void)[] = [];
  #closedWith: ConnectorError | undefined;

  constructor(client: TigerBeetleClientLike, options: BatcherOptions) {
    this.#client = client;
    this.#options = options;
  }

  /** A linked chain (or single events): all of it goes into the same request. */
  createTransfers(chain: TbTransfer[]): Promise<EventCodes> {
    return this.#enqueue(this.#transfers, chain);
  }

  createAccounts(accounts: TbAccount[]): Promise<EventCodes> {
    return this.#enqueue(this.#accounts, accounts);
  }

  /** Answers in the order of `ids`; undefined where TigerBeetle has no such account. */
  lookupAccounts(ids: bigint[]): Promise<(TbAccount | undefined)[]> {
    return this.#enqueue(this.#lookupAccounts, ids);
  }

  lookupTransfers(ids: bigint[]): Promise<(TbTransfer | undefined)[]> {
    return this.#enqueue(this.#lookupTransfers, ids);
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.#queuedEvents === 0 && !this.#inFlight) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Rejects every queued job and every later one with `error`; a request in flight still completes. */
  close(error: ConnectorError): void {
    this.#closedWith = error;
    for (const queue of this.#queues) queue.rejectAll(error);
    this.#queuedEvents = 0;
    if (!this.#inFlight) this.#wakeIdle();
  }

  #enqueue<E, R>(queue: Queue<E, R>, events: E[]): Promise<R> {
    if (this.#closedWith !== undefined) return Promise.reject(this.#closedWith);
    if (this.#queuedEvents + events.length > this.#options.maxQueuedEvents) {
      const message = `TigerBeetle request queue is full (${this.#options.maxQueuedEvents} events)`;
      return Promise.reject(new ConnectorError('ERR_LEDGER', message));
    }
    return new Promise<R>((resolve, reject) => {
      queue.jobs.push({ events, resolve, reject });
      queue.events += events.length;
      this.#queuedEvents += events.length;
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    this.#inFlight = true;
    try {
      while (this.#queuedEvents > 0) {
        for (const queue of this.#queues) {
          if (queue.events === 0) continue;
          await queue.sendNext(this.#client, this.#options.maxBatch, (events) => {
            this.#queuedEvents -= events;
          });
        }
      }
    } finally {
      this.#inFlight = false;
      this.#wakeIdle();
    }
  }

  #wakeIdle(): void {
    if (this.#queuedEvents > 0 || this.#inFlight) return;
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}
