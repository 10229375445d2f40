/**
 * The settlement engine's state, each piece with one owner, the only part that writes it:
 *
 * | state | owner (its writer) |
 * | --- | --- |
 * | channels and claims, in memory and on disk | `ChannelBook` (channels/channel-book.ts), through named changes |
 * | connected chains | `ChainConnections`, as each chain connects |
 * | stats | `Reporter`, through its `count*` methods (saved with the channels, seeded at start) |
 * | background tasks, the stop flag, the abort signal | `Lifecycle`, at `stop()` |
 * | the per-peer and per-channel queues | `SerialQueues` |
 *
 * State only: no part is given this object. engine/parts.ts hands each part the pieces it reads
 * or changes, narrowed to the methods it uses, so a part's constructor says what it touches.
 */
import { ChainClients } from '../chain/chain-clients.js';
import { ChannelBook } from '../channels/channel-book.js';
import { ChainConnections } from './chains.js';
import { Lifecycle } from './lifecycle.js';
import { SerialQueues } from './queues.js';
import { Reporter } from './reporter.js';
import type { SettlementEngineOptions } from './types.js';

/** The state of one `SettlementEngine`, by owner. */
export class SettlementContext {
  readonly channels: ChannelBook;
  readonly chains: ChainConnections;
  readonly reporter: Reporter;
  readonly life: Lifecycle;
  readonly queues: SerialQueues;

  constructor(options: SettlementEngineOptions) {
    this.life = new Lifecycle();
    this.reporter = new Reporter(options.logger, options.onEvent, this.life);
    this.channels = new ChannelBook(options.store, () => this.reporter.saved());
    this.chains = new ChainConnections({
      spec: options.spec,
      signer: options.signer,
      clients: options.clients ?? new ChainClients(options.signer),
      logger: options.logger,
      reporter: this.reporter,
      life: this.life,
    });
    this.queues = new SerialQueues();
  }
}
