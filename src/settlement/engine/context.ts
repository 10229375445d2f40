/**
 * What every part of the settlement engine shares: the saved state, the connected chains, the
 * per-key queues that keep one task per peer (or channel) at a time, the background tasks a stop
 * waits for, and the ways to save, read the chain, report and emit.
 */
import type { Address } from 'viem';
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import { messageOf } from '../../utils/text.js';
import { ChainError } from '../chain/errors.js';
import { DEFAULT_CHAIN_RETRY, retryChain } from '../chain/retry.js';
import type { ChainRuntime } from '../chain/runtime.js';
import type { IncomingChannel, OutgoingChannel, SettlementState } from '../channels/channel-store.js';
import type { SettlementSpec } from './spec.js';
import type {
  ChannelView,
  SettlementEngineOptions,
  SettlementEvent,
  SettlementPeer,
  SettlementStats,
} from './types.js';

/** Settled channels kept per direction (newest); older ones leave the state file. */
const SETTLED_KEPT = 100;

/** The state and helpers the settlement parts share; one per `SettlementEngine`. */
export class SettlementContext {
  readonly options: SettlementEngineOptions;
  readonly spec: SettlementSpec;
  readonly logger: Logger;
  readonly address: Address;
  readonly stats: SettlementStats = {
    claimsSent: 0,
    claimsAcknowledged: 0,
    claimsRejectedByPeer: 0,
    claimsReceived: 0,
    claimsRefused: new Map(),
    redemptions: 0,
    tokensSent: 0n,
    tokensReceived: 0n,
    tokensRedeemed: 0n,
    chainErrors: new Map(),
  };
  /** Replaced by the saved state at start; read it through the context, never keep it. */
  state: SettlementState = { outgoing: [], incoming: [] };
  readonly chains = new Map<string, ChainRuntime>();
  readonly chainsReady = new Map<string, Promise<ChainRuntime>>();
  /** Background tasks a stop waits for. */
  readonly tasks = new Set<Promise<unknown>>();
  readonly abort = new AbortController();
  stopped = false;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(options: SettlementEngineOptions) {
    this.options = options;
    this.spec = options.spec;
    this.logger = options.logger;
    this.address = options.signer.address;
  }

  // ── state ──────────────────────────────────────────────────────────────

  save(): Promise<void> {
    pruneSettled(this.state.outgoing);
    pruneSettled(this.state.incoming);
    return this.options.store.save(this.state);
  }

  currentOutgoing(peerId: string): OutgoingChannel | undefined {
    return this.state.outgoing.findLast((c) => c.peerId === peerId && c.status !== 'settled');
  }

  currentIncoming(peerId: string): IncomingChannel | undefined {
    return this.state.incoming.findLast((c) => c.peerId === peerId && c.status !== 'settled');
  }

  view(c: OutgoingChannel | IncomingChannel, direction: 'outgoing' | 'incoming'): ChannelView {
    const chain = this.chainById(c.chainId);
    const common = {
      direction,
      peerId: c.peerId,
      chain: chain?.name ?? String(c.chainId),
      chainId: c.chainId,
      tokenNetwork: c.tokenNetwork,
      channelId: c.channelId,
      status: c.status,
      deposit: c.deposit,
      nonce: c.nonce,
      transferred: c.transferred,
      settleableAt: c.settleableAt,
    };
    return 'receiver' in c
      ? { ...common, counterparty: c.receiver, acknowledgedNonce: c.acknowledgedNonce }
      : { ...common, counterparty: c.sender, redeemed: c.redeemed };
  }

  // ── chains ─────────────────────────────────────────────────────────────

  chainById(chainId: number): ChainRuntime | undefined {
    for (const chain of this.chains.values()) if (chain.chainId === chainId) return chain;
    return undefined;
  }

  requireChain(chainId: number): ChainRuntime {
    const chain = this.chainById(chainId);
    if (chain === undefined)
      throw new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `chain ${chainId} is not connected (yet)`);
    return chain;
  }

  async chainFor(peer: SettlementPeer): Promise<ChainRuntime> {
    const name = peer.settlementChain ?? this.spec.defaultChain;
    const chain = this.chains.get(name);
    if (chain !== undefined) return chain;
    if (!this.chainsReady.has(name))
      throw new ConnectorError(
        'ERR_SETTLEMENT_UNAVAILABLE',
        `peer ${peer.id} settles on unknown chain "${name}"`,
      );
    throw new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `chain "${name}" is not connected yet`);
  }

  read<T>(chain: ChainRuntime, call: () => Promise<T>): Promise<T> {
    return retryChain(`read on chain ${chain.name}`, call, {
      ...DEFAULT_CHAIN_RETRY,
      signal: this.abort.signal,
    });
  }

  // ── tasks ──────────────────────────────────────────────────────────────

  /** Runs `task` after the previous task of `key`; the chain never breaks on a failure. */
  serial<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    this.#locks.set(key, tail);
    void tail.then(() => {
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    });
    return run;
  }

  track(task: Promise<unknown>): void {
    const t = task.catch(() => undefined);
    this.tasks.add(t);
    void t.then(() => this.tasks.delete(t));
  }

  /** Operator actions throw to their caller; their chain failures are counted all the same. */
  counted<T>(run: Promise<T>): Promise<T> {
    return run.catch((err: unknown) => {
      this.countChainError(err);
      throw err;
    });
  }

  // ── reporting ──────────────────────────────────────────────────────────

  report(operation: string, err: unknown, peerId?: string): void {
    if (this.stopped && isAbort(err)) return;
    const message = messageOf(err);
    this.countChainError(err);
    this.logger.error({ operation, peerId, err: message }, `settlement: ${operation} failed`);
    this.emit({ type: 'error', operation, message, ...(peerId === undefined ? {} : { peerId }) });
  }

  countChainError(err: unknown): void {
    if (err instanceof ChainError)
      this.stats.chainErrors.set(err.kind, (this.stats.chainErrors.get(err.kind) ?? 0) + 1);
  }

  emit(event: SettlementEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch (err) {
      this.logger.error({ err }, 'a settlement event listener threw');
    }
  }
}

function pruneSettled(channels: { status: string }[]): void {
  let settled = 0;
  for (const c of channels) if (c.status === 'settled') settled++;
  for (let i = 0; settled > SETTLED_KEPT && i < channels.length; ) {
    if (channels[i]!.status === 'settled') {
      channels.splice(i, 1);
      settled--;
    } else i++;
  }
}

/** What a new claim changes on a channel, to put back when it cannot be saved. */
export function claimFields(c: OutgoingChannel | IncomingChannel) {
  return {
    nonce: c.nonce,
    transferred: c.transferred,
    ledgerDelta: c.ledgerDelta,
    signature: c.signature,
  };
}

function isAbort(err: unknown): boolean {
  return err instanceof ConnectorError && err.message.includes('settlement stopped');
}
