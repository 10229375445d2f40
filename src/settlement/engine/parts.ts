/**
 * The engine's wiring, apart from its API (engine.ts): the state by owner (context.ts) and the
 * parts built over it, each given only the pieces it reads or changes.
 */
import { AccountManager } from './account-manager.js';
import { ChannelCloser } from './channel-closer.js';
import { ChannelWatcher } from './channel-watcher.js';
import { ClaimReceiver } from './claim-receiver.js';
import { SettlementContext } from './context.js';
import { UnifiedSettlementExecutor } from './executor.js';
import { SettlementMonitor } from './monitor.js';
import { ChannelOperator } from './operator.js';
import type { SettlementEngineOptions } from './types.js';
import { WakeTimer } from './wake-timer.js';

const CLAIM_TIMEOUT_MS = 10_000;
const CHECK_DELAY_MS = 10;

export interface EngineParts {
  readonly ctx: SettlementContext;
  readonly accounts: AccountManager;
  readonly executor: UnifiedSettlementExecutor;
  readonly monitor: SettlementMonitor;
  readonly watcher: ChannelWatcher;
  readonly receiver: ClaimReceiver;
  readonly closer: ChannelCloser;
  readonly operator: ChannelOperator;
  /** Runs a watch pass when a challenge period ends; stopped with the engine. */
  readonly wake: WakeTimer;
}

export function engineParts(options: SettlementEngineOptions): EngineParts {
  const { spec, signer, links, peer, logger } = options;
  const claimTimeoutMs = options.claimTimeoutMs ?? CLAIM_TIMEOUT_MS;
  const ctx = new SettlementContext(options);
  const { channels, chains, reporter, life, queues } = ctx;
  const accounts = new AccountManager({
    ledger: options.ledger,
    peerAccount: options.peerAccount,
    channels,
    reporter,
  });
  const executor = new UnifiedSettlementExecutor({
    spec,
    signer,
    links,
    peer,
    claimTimeoutMs,
    logger,
    channels,
    chains,
    accounts,
    reporter,
    life,
  });
  const monitor = new SettlementMonitor({
    spec,
    checkDelayMs: options.checkDelayMs ?? CHECK_DELAY_MS,
    peers: options.peers,
    channels,
    queues,
    executor,
    reporter,
    life,
  });
  const wake = new WakeTimer(spec.watchIntervalMs, () => life.track(watcher.watch()));
  const wakeAt = (atMs: number) => wake.at(atMs);
  const watcher = new ChannelWatcher({
    spec,
    logger,
    channels,
    chains,
    queues,
    reporter,
    life,
    wake: wakeAt,
  });
  const receiver = new ClaimReceiver({
    spec,
    address: signer.address,
    peer,
    logger,
    channels,
    chains,
    queues,
    accounts,
    watcher,
    reporter,
    life,
  });
  const closer = new ChannelCloser({
    signer,
    links,
    peer,
    claimTimeoutMs,
    logger,
    channels,
    chains,
    queues,
    executor,
    reporter,
    wake: wakeAt,
  });
  const operator = new ChannelOperator({
    address: signer.address,
    channels,
    chains,
    queues,
    executor,
    monitor,
    closer,
    watcher,
    reporter,
  });
  return { ctx, accounts, executor, monitor, watcher, receiver, closer, operator, wake };
}
