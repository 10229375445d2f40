/**
 * One `ChainClient` per chain for one signer: the node's settlement engine and its x402 gateway
 * both send transactions from the node's key, and a `ChainClient` sends its transactions one at
 * a time (each takes its nonce after the previous one's receipt). Two clients on one key and one
 * chain would each count nonces on their own and race; sharing the client makes the chain's
 * queue the one nonce source. Keyed by chain id: a second caller on the same chain gets the
 * first one's client (its RPC URL and polling), whatever URL it names.
 */
import type { Signer } from '../../keys/signer.js';
import { ChainClient, type ChainClientOptions } from './chain-client.js';

export type SharedClientOptions = Omit<ChainClientOptions, 'signer'>;

export class ChainClients {
  /** By chain id; a connection in progress is shared too. */
  readonly #byChain = new Map<number, Promise<ChainClient>>();

  constructor(readonly signer: Signer) {}

  /**
   * The client of `options.chainId`, connected on first use (the RPC must serve that chain).
   * Without a chain id the RPC says which chain it is; an existing client of that chain is
   * returned then. A failed connection is not kept: the next call tries again.
   */
  async connect(options: SharedClientOptions): Promise<ChainClient> {
    const { chainId } = options;
    if (chainId !== undefined) {
      const known = this.#byChain.get(chainId);
      if (known !== undefined) return known;
      const connecting = ChainClient.connect({ ...options, signer: this.signer });
      this.#byChain.set(chainId, connecting);
      connecting.catch(() => {
        if (this.#byChain.get(chainId) === connecting) this.#byChain.delete(chainId);
      });
      return connecting;
    }
    const probe = await ChainClient.connect({ ...options, signer: this.signer });
    const known = this.#byChain.get(probe.chainId);
    if (known !== undefined) return known;
    this.#byChain.set(probe.chainId, Promise.resolve(probe));
    return probe;
  }

  /** Chain ids with a client (connected or connecting). */
  get chainIds(): number[] {
    return [...this.#byChain.keys()];
  }
}
