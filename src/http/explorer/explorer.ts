/**
 * The Explorer of one node: it owns the event store (in a worker thread: store-client.ts), the
 * HTTP/WebSocket server and two loops.
 *   - flush, every 200 ms, one at a time: `recorder.drain()` → `balance.changed` events for the
 *     peers seen → `store.insert` (one transaction) → the WebSocket clients;
 *   - prune, every 60 s and after an insert that takes the store well over `maxEvents`.
 * A store that cannot be opened leaves the Explorer degraded (the API answers, /api/events is
 * 503, the live stream still flows). After `start()` nothing here throws into the node: every
 * loop catches and logs (rate-limited).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../utils/logger.js';
import { messageOf } from '../../utils/text.js';
import { WarnLimiter } from '../../utils/warn-limiter.js';
import { createExplorerAuth } from './auth.js';
import { BalanceWatch } from './balance-watch.js';
import type { ExplorerNode } from './explorer-node.js';
import { LiveFeed } from './live-feed.js';
import type { EventRecorder } from './recorder.js';
import { buildExplorerServer } from './server.js';
import { defaultUiDir } from './static-files.js';
import type { StoreHealth } from './store.js';
import { StoreClient } from './store-client.js';

export interface ExplorerSettings {
  port: number;
  host: string;
  /** Required when `host` is not loopback. */
  apiKey?: string;
  retentionDays: number;
  maxEvents: number;
  storePath: string;
}

export interface ExplorerOptions {
  settings: ExplorerSettings;
  recorder: EventRecorder;
  node: ExplorerNode;
  logger: Logger;
  /** Defaults: 200 ms, 60 s, `explorer-ui/` at the package root. Tests shorten or replace them. */
  flushIntervalMs?: number;
  pruneIntervalMs?: number;
  uiDir?: string;
  /** WebSocket clients above this many unsent bytes are closed with 1008. Default 1 MiB. */
  maxClientBufferedBytes?: number;
  now?: () => number;
}

/** What the node reports of its Explorer beside its own health and metrics. */
export interface ExplorerStatus {
  store: StoreHealth;
  /** Events lost: in the recorder (a drain came too late) and in the store (failed or closed). */
  dropped: { recorder: number; store: number };
}

const WARN_INTERVAL_MS = 60_000;

export class Explorer {
  private readonly settings: ExplorerSettings;
  private readonly store: StoreClient;
  private readonly feed: LiveFeed;
  private readonly balances: BalanceWatch;
  private readonly warnings: WarnLimiter;
  private readonly now: () => number;
  private app: FastifyInstance | undefined;
  private boundPort = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private pruning: Promise<void> | undefined;
  private running = false;

  constructor(private readonly options: ExplorerOptions) {
    this.settings = options.settings;
    this.now = options.now ?? Date.now;
    this.store = new StoreClient(this.settings.storePath, options.logger);
    const feedOptions =
      options.maxClientBufferedBytes === undefined
        ? {}
        : { maxBufferedBytes: options.maxClientBufferedBytes };
    this.feed = new LiveFeed(feedOptions);
    this.balances = new BalanceWatch(() => options.node.balances());
    this.warnings = new WarnLimiter(options.logger, WARN_INTERVAL_MS);
  }

  get port(): number {
    return this.boundPort;
  }

  status(): ExplorerStatus {
    return {
      store: this.store.health(),
      dropped: { recorder: this.options.recorder.dropped, store: this.store.droppedEvents },
    };
  }

  /** Opens the store (a failure only degrades) and listens. Throws when it must not start. */
  async start(): Promise<void> {
    if (this.running) return;
    const { settings, logger } = this.options;
    createExplorerAuth(settings.host, settings.apiKey); // refuses a non-loopback host without a key
    await this.store.open();
    const serverOptions = {
      host: settings.host,
      store: this.store,
      recorder: this.options.recorder,
      node: this.options.node,
      feed: this.feed,
      logger,
      uiDir: this.options.uiDir ?? defaultUiDir(),
      dropped: () => this.options.recorder.dropped + this.store.droppedEvents,
    };
    try {
      await this.balances.prime();
    } catch (err) {
      this.warnings.warn('balances', { err: messageOf(err) }, 'explorer: could not read balances');
    }
    try {
      this.app = await buildExplorerServer(
        settings.apiKey === undefined ? serverOptions : { ...serverOptions, apiKey: settings.apiKey },
      );
      await this.app.listen({ port: settings.port, host: settings.host });
    } catch (err) {
      await this.app?.close().catch(() => undefined);
      this.app = undefined;
      await this.store.close();
      throw err;
    }
    const address = this.app.server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : settings.port;
    this.running = true;
    this.scheduleFlush();
    this.pruneTimer = setInterval(() => this.prune(), this.options.pruneIntervalMs ?? 60_000);
    this.pruneTimer.unref();
    this.prune();
    const health = this.store.health();
    logger.info(
      { port: this.boundPort, host: settings.host, store: health.path, storeState: health.state },
      'explorer listening',
    );
  }

  /** Stops the loops, stores what is left, closes the sockets, the server and the store. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.flushTimer);
    clearInterval(this.pruneTimer);
    await this.flushing;
    await this.flushOnce();
    this.feed.closeAll();
    await this.app?.close().catch((err: unknown) => {
      this.options.logger.warn({ err: messageOf(err) }, 'explorer server did not close cleanly');
    });
    this.app = undefined;
    await this.store.close();
    await this.pruning;
  }

  private scheduleFlush(): void {
    this.flushTimer = setTimeout(() => {
      this.flushing = this.flushOnce().finally(() => {
        this.flushing = undefined;
        if (this.running) this.scheduleFlush();
      });
    }, this.options.flushIntervalMs ?? 200);
    this.flushTimer.unref();
  }

  private async flushOnce(): Promise<void> {
    try {
      const events = this.options.recorder.drain();
      const changed = await this.balanceEvents(events);
      const all = changed.length === 0 ? events : events.concat(changed);
      if (all.length === 0) return;
      await this.store.insert(all);
      this.feed.broadcast(all);
      const { maxEvents } = this.settings;
      if (this.store.events > maxEvents + Math.min(10_000, Math.ceil(maxEvents / 10))) this.prune();
    } catch (err) {
      this.warnings.warn('flush', { err: messageOf(err) }, 'explorer: flush failed');
    }
  }

  private async balanceEvents(events: Parameters<BalanceWatch['check']>[0]) {
    try {
      return await this.balances.check(events, this.now());
    } catch (err) {
      this.warnings.warn('balances', { err: messageOf(err) }, 'explorer: could not read balances');
      return [];
    }
  }

  /** Starts a prune unless one is running; never rejects. */
  private prune(): void {
    if (this.pruning !== undefined || this.store.state !== 'open') return;
    const { retentionDays, maxEvents } = this.settings;
    this.pruning = this.store
      .prune({ retentionDays, maxEvents, nowMs: this.now() })
      .then(
        () => undefined,
        (err: unknown) => this.warnings.warn('prune', { err: messageOf(err) }, 'explorer: prune failed'),
      )
      .finally(() => {
        this.pruning = undefined;
      });
  }
}
