/**
 * The Explorer's event store as the node's thread sees it: the same operations as `EventStore`
 * (store.ts), run by a worker thread (store-worker.ts) so that SQLite's work (about 45 µs an
 * event) stays off the packet path. What is read synchronously (`state`, `events`, `health()`,
 * `droppedEvents`) is the worker's last report, which comes with every answer.
 *
 * Failure is a state here as in the store: a worker that cannot start or dies leaves the store
 * 'failed' with the reason (logged once); inserts are then dropped and counted, queries answer
 * ERR_STORE_UNAVAILABLE. Nothing here throws into the flush or prune loops.
 */
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { NodeEvent } from '../../types/index.js';
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import { messageOf } from '../../utils/text.js';
import type { EventPage, PruneOptions, StoreHealth, StoreOptions, StoreState } from './store.js';
import type { StoreReply, StoreRequest, StoreWorkerData, WorkerLogLine } from './store-protocol.js';
import type { PageRequest } from './store-sql.js';

/** The operations the Explorer and its server use; `EventStore` and `StoreClient` both have them. */
export interface ExplorerStore {
  readonly state: StoreState;
  readonly events: number;
  readonly droppedEvents: number;
  open(): Promise<boolean>;
  insert(events: NodeEvent[]): Promise<NodeEvent[]>;
  query(request: PageRequest): Promise<EventPage>;
  prune(options: PruneOptions): Promise<number>;
  health(): StoreHealth;
}

type Request = StoreRequest extends infer R ? (R extends StoreRequest ? Omit<R, 'id'> : never) : never;
type Pending = { request: Request; resolve: (reply: StoreReply) => void };

export class StoreClient implements ExplorerStore {
  readonly path: string;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextRequest = 1;
  private last: StoreHealth;
  private stateNow: StoreState = 'new';
  private storeDropped = 0;
  /** Events dropped here: sent while the worker was gone, or lost with it. */
  private clientDropped = 0;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    path: string,
    private readonly logger: Logger,
    private readonly options: StoreOptions = {},
  ) {
    this.path = resolve(path);
    this.last = { state: 'closed', events: 0, sizeBytes: 0, path: this.path };
  }

  get state(): StoreState {
    return this.stateNow;
  }

  get events(): number {
    return this.last.events;
  }

  get droppedEvents(): number {
    return this.storeDropped + this.clientDropped;
  }

  health(): StoreHealth {
    return this.stateNow === 'new'
      ? { ...this.last, state: 'closed' }
      : { ...this.last, state: this.reportedState() };
  }

  /** Starts the worker and opens the file there. Never throws: failure is a state. */
  async open(): Promise<boolean> {
    if (this.stateNow !== 'new') return this.stateNow === 'open';
    try {
      this.worker = this.startWorker();
    } catch (err) {
      this.failed(`open failed: worker did not start: ${messageOf(err)}`);
      return false;
    }
    const reply = await this.call({ op: 'open' });
    if (reply.ok && reply.result === true) {
      this.stateNow = 'open';
      return true;
    }
    // The worker logged why; the store stays failed until the node restarts.
    if (this.stateNow === 'new') this.stateNow = 'failed';
    return false;
  }

  /** Stores one batch (one transaction, in the worker); sets the events' ids when stored. */
  async insert(events: NodeEvent[]): Promise<NodeEvent[]> {
    if (events.length === 0) return events;
    if (this.worker === undefined || this.stateNow === 'closed') {
      this.clientDropped += events.length;
      return events;
    }
    const reply = await this.call({ op: 'insert', events });
    const first = reply.ok ? Number(reply.result) : 0;
    if (first > 0) for (let i = 0; i < events.length; i++) events[i]!.id = first + i;
    return events;
  }

  async query(request: PageRequest): Promise<EventPage> {
    if (this.stateNow !== 'open')
      throw new ConnectorError('ERR_STORE_UNAVAILABLE', `event store is ${this.reportedState()}`);
    const reply = await this.call({ op: 'query', page: request });
    if (!reply.ok) {
      const code =
        reply.error?.code === 'ERR_INVALID_ARGUMENT' ? 'ERR_INVALID_ARGUMENT' : 'ERR_STORE_UNAVAILABLE';
      throw new ConnectorError(code, reply.error?.message ?? 'event store query failed');
    }
    return reply.result as EventPage;
  }

  /** Never throws (as the store's own prune). */
  async prune(options: PruneOptions): Promise<number> {
    if (this.stateNow !== 'open') return 0;
    const reply = await this.call({ op: 'prune', prune: options });
    return reply.ok ? Number(reply.result) : 0;
  }

  /** Closes the file and stops the worker; resolves when the thread has exited. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (this.stateNow === 'open' || this.stateNow === 'new') this.stateNow = 'closed';
    if (worker === undefined) return;
    await this.call({ op: 'close' }); // the file is closed in the worker: its thread can go
    await worker.terminate();
    await this.exited;
  }

  private startWorker(): Worker {
    const data: StoreWorkerData = { path: this.path, options: this.options };
    const worker = new Worker(new URL('./store-worker.js', import.meta.url), { workerData: data });
    worker.on('message', (message: StoreReply | { log: WorkerLogLine }) => this.onMessage(message));
    worker.on('error', (err) => this.failed(`worker failed: ${messageOf(err)}`));
    // The worker holds the process open only while it owes an answer (see call/onMessage).
    worker.unref();
    this.exited = new Promise((done) => {
      worker.once('exit', (code) => {
        this.worker = undefined;
        if (this.stateNow !== 'closed') this.failed(`worker exited (code ${code})`);
        // Whatever was asked and never answered is answered now, as a failure.
        for (const [id, p] of this.pending) p.resolve(this.lost(id, p.request));
        this.pending.clear();
        done();
      });
    });
    return worker;
  }

  private call(request: Request): Promise<StoreReply> {
    const worker = this.worker;
    const id = this.nextRequest++;
    if (worker === undefined) return Promise.resolve(this.lost(id, request));
    return new Promise((resolve) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { request, resolve });
      worker.postMessage({ ...request, id } as StoreRequest);
    });
  }

  private onMessage(message: StoreReply | { log: WorkerLogLine }): void {
    if ('log' in message) {
      const { level, fields, msg } = message.log;
      this.logger[level](fields, msg);
      return;
    }
    this.last = message.health;
    this.storeDropped = message.dropped;
    if (message.health.state === 'failed') this.stateNow = 'failed';
    const pending = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker?.unref();
    pending?.resolve(message);
  }

  /** The answer to a request the worker will never answer; an insert's events count as dropped. */
  private lost(id: number, request?: Request): StoreReply {
    if (request?.op === 'insert') this.clientDropped += request.events.length;
    return {
      id,
      ok: false,
      error: { code: 'ERR_STORE_UNAVAILABLE', message: `event store is ${this.reportedState()}` },
      health: this.health(),
      dropped: this.storeDropped,
    };
  }

  private reportedState(): 'open' | 'failed' | 'closed' {
    return this.stateNow === 'new' ? 'closed' : this.stateNow;
  }

  private failed(error: string): void {
    if (this.stateNow === 'failed' || this.stateNow === 'closed') return;
    this.stateNow = 'failed';
    this.last = { ...this.last, state: 'failed', error };
    this.logger.error(
      { path: this.path, err: error },
      'explorer event store failed; events are no longer stored',
    );
  }
}
