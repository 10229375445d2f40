/**
 * The worker thread that owns the Explorer's event store (store-client.ts starts it). SQLite
 * writes cost about 45 µs per event with the filter indexes (bench/explorer-bench.ts): at the
 * default 1,000 kept events a second that is 4-5% of the thread that runs it, so it runs here
 * and not on the node's packet thread. Every answer
 * carries the store's health, so the node reads it without a round trip. Log lines go to the
 * node's logger by message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../../utils/text.js';
import { EventStore, type StoreLogger } from './store.js';
import type { StoreReply, StoreRequest, StoreWorkerData, WorkerLogLine } from './store-protocol.js';

const port = parentPort;
if (port === null) throw new Error('store-worker.js runs as a worker thread only');
const data = workerData as StoreWorkerData;

const log =
  (level: WorkerLogLine['level']) =>
  (fields: Record<string, unknown>, msg: string): void => {
    port.postMessage({ log: { level, fields, msg } });
  };
const logger: StoreLogger = { warn: log('warn'), error: log('error') };
const store = new EventStore(data.path, logger, data.options);

async function answer(request: StoreRequest): Promise<StoreReply> {
  switch (request.op) {
    case 'open':
      return { id: request.id, ok: true, result: await store.open(), ...status() };
    case 'insert': {
      // The store sets the ids in place when it stored them; they stay 0 when it did not.
      const stored = await store.insert(request.events);
      return { id: request.id, ok: true, result: stored[0]?.id ?? 0, ...status() };
    }
    case 'query':
      return { id: request.id, ok: true, result: await store.query(request.page), ...status() };
    case 'prune':
      return { id: request.id, ok: true, result: await store.prune(request.prune), ...status() };
    case 'close':
      store.close();
      return { id: request.id, ok: true, result: null, ...status() };
  }
}

function status(): Pick<StoreReply, 'health' | 'dropped'> {
  return { health: store.health(), dropped: store.droppedEvents };
}

// Requests are not queued behind each other: a prune yields between its chunks (store.ts), so
// inserts and queries run in between, as they did when the store ran on the node's thread.
port.on('message', (request: StoreRequest) => {
  void answer(request).then(
    (reply) => port.postMessage(reply),
    (err: unknown) => {
      const code = (err as { code?: unknown }).code;
      port.postMessage({
        id: request.id,
        ok: false,
        error: { code: typeof code === 'string' ? code : 'ERR_STORE_UNAVAILABLE', message: messageOf(err) },
        ...status(),
      } satisfies StoreReply);
    },
  );
});
