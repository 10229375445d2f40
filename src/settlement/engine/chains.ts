/**
 * The chains the engine settles on, and their one writer. The start first checks that each RPC
 * serves the configured chain id (a mismatch stops it); then each chain connects in the
 * background, retried with capped backoff until it answers or the engine stops, and is added
 * here once connected. Packets keep flowing meanwhile; the parts look chains up here (by
 * id, by a peer's `settlementChain`) and read them with retry.
 */
import type { Signer } from '../../keys/index.js';
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import type { ChainClients } from '../chain/chain-clients.js';
import { checkChainIds, wrongChainError } from '../chain/chain-id.js';
import { backoffCapMs, DEFAULT_CHAIN_RETRY, retryChain, sleep } from '../chain/retry.js';
import { type ChainRuntime, type ChainSpec, connectChain } from '../chain/runtime.js';
import type { Lifecycle } from './lifecycle.js';
import type { Reporter } from './reporter.js';
import type { SettlementSpec } from './spec.js';
import type { SettlementPeer } from './types.js';

/** A chain that does not answer at start is tried again after 1 s, 2 s, 4 s, ... at most 30 s. */
const CONNECT_BACKOFF = { minDelayMs: 1_000, maxDelayMs: 30_000 } as const;

export interface ChainConnectionsOptions {
  readonly spec: Pick<SettlementSpec, 'chains' | 'defaultChain' | 'chainPollingIntervalMs'>;
  readonly signer: Signer;
  /** The node's chain clients for that signer (one per chain, shared with the gateway). */
  readonly clients: ChainClients;
  readonly logger: Logger;
  readonly reporter: Pick<Reporter, 'emit' | 'report'>;
  readonly life: Pick<Lifecycle, 'stopped' | 'signal' | 'track'>;
}

/** Connected chains by name, and the connection of each configured one in progress. */
export class ChainConnections {
  readonly #spec: ChainConnectionsOptions['spec'];
  readonly #signer: Signer;
  readonly #clients: ChainClients;
  readonly #logger: Logger;
  readonly #reporter: ChainConnectionsOptions['reporter'];
  readonly #life: ChainConnectionsOptions['life'];
  readonly #connected = new Map<string, ChainRuntime>();
  readonly #ready = new Map<string, Promise<ChainRuntime>>();

  constructor(options: ChainConnectionsOptions) {
    this.#spec = options.spec;
    this.#signer = options.signer;
    this.#clients = options.clients;
    this.#logger = options.logger;
    this.#reporter = options.reporter;
    this.#life = options.life;
  }

  /**
   * Before anything connects: each RPC's `eth_chainId` against the configured id. A mismatch
   * throws (ERR_CHAIN_WRONG_CHAIN, every wrong chain named); an RPC silent for `timeoutMs` is
   * logged and left to the background connection.
   */
  async checkIds(timeoutMs: number): Promise<void> {
    const targets = this.#spec.chains;
    const checks = await checkChainIds(targets, timeoutMs);
    for (const check of checks) {
      if (check.outcome === 'unreachable')
        this.#logger.warn(
          { chain: check.name, err: check.error.message },
          'settlement: chain RPC did not answer eth_chainId at start; connecting in the background',
        );
    }
    const wrong = wrongChainError(targets, checks);
    if (wrong !== undefined) throw wrong;
  }

  /** Starts connecting every configured chain; `onConnected` runs as each one connects. */
  connectAll(onConnected: (chain: ChainRuntime) => void): void {
    for (const spec of this.#spec.chains) this.#connect(spec, onConnected);
  }

  /** Resolves once the chain is connected; rejects for a chain that is not configured. */
  ready(name: string): Promise<ChainRuntime> {
    const ready = this.#ready.get(name);
    if (ready === undefined)
      return Promise.reject(
        new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `no settlement chain "${name}"`),
      );
    return ready;
  }

  /** True once every configured chain is connected. */
  allConnected(): boolean {
    return this.#connected.size >= this.#spec.chains.length;
  }

  /** Each configured chain by name, with its id: the RPC's once connected, else the configured one (0: unknown yet). */
  configured(): { name: string; chainId: number }[] {
    return this.#spec.chains.map((c) => ({
      name: c.name,
      chainId: this.#connected.get(c.name)?.chainId ?? c.chainId ?? 0,
    }));
  }

  /** The connected chain of that configured name. */
  byName(name: string): ChainRuntime | undefined {
    return this.#connected.get(name);
  }

  byId(chainId: number): ChainRuntime | undefined {
    for (const chain of this.#connected.values()) if (chain.chainId === chainId) return chain;
    return undefined;
  }

  /** The chain's name, or its id as text while it is not connected. */
  nameOf(chainId: number): string {
    return this.byId(chainId)?.name ?? String(chainId);
  }

  require(chainId: number): ChainRuntime {
    const chain = this.byId(chainId);
    if (chain === undefined)
      throw new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `chain ${chainId} is not connected (yet)`);
    return chain;
  }

  /** The chain the peer settles on (its `settlementChain`, else the default), once connected. */
  async forPeer(peer: SettlementPeer): Promise<ChainRuntime> {
    const name = peer.settlementChain ?? this.#spec.defaultChain;
    const chain = this.#connected.get(name);
    if (chain !== undefined) return chain;
    if (!this.#ready.has(name))
      throw new ConnectorError(
        'ERR_SETTLEMENT_UNAVAILABLE',
        `peer ${peer.id} settles on unknown chain "${name}"`,
      );
    throw new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `chain "${name}" is not connected yet`);
  }

  /** A read on `chain`, retried while it fails transiently; a stop ends the retries. */
  read<T>(chain: ChainRuntime, call: () => Promise<T>): Promise<T> {
    return retryChain(`read on chain ${chain.name}`, call, {
      ...DEFAULT_CHAIN_RETRY,
      signal: this.#life.signal,
    });
  }

  /** Connects in the background, retrying with capped backoff until it works or the engine stops. */
  #connect(spec: ChainSpec, onConnected: (chain: ChainRuntime) => void): void {
    const life = this.#life;
    const ready = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const chain = await connectChain(spec, this.#clients, this.#spec.chainPollingIntervalMs);
          this.#connected.set(spec.name, chain);
          this.#logger.info(
            {
              chain: spec.name,
              chainId: chain.chainId,
              tokenNetwork: chain.network.address,
              address: this.#signer.address,
            },
            'settlement: chain connected',
          );
          this.#reporter.emit({
            type: 'chain-ready',
            chain: spec.name,
            chainId: chain.chainId,
            tokenNetwork: chain.network.address,
          });
          onConnected(chain);
          return chain;
        } catch (err) {
          if (life.stopped) throw err;
          this.#reporter.report('connect', err);
          await sleep('connect', backoffCapMs(attempt, CONNECT_BACKOFF), life.signal);
        }
      }
    })();
    ready.catch(() => undefined);
    this.#ready.set(spec.name, ready);
    life.track(ready);
  }
}
