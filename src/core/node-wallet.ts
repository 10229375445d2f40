/**
 * The node's key and its chain clients, one of each: settlement (channels, claims) and the x402
 * gateway (`transferWithAuthorization`) sign with the same key, and on one chain they send
 * through the same `ChainClient`, whose queue is the one nonce source of that key there
 * (settlement/chain/chain-clients.ts). The node opens the signer once (an `env` key at once, a
 * KMS key when first needed) and closes it once, after both parts have stopped.
 */
import type { ResolvedConfig } from '../config/index.js';
import { createSigner, isKmsBackend, type KmsHooks, openSigner, type Signer } from '../keys/index.js';
import { ChainClients } from '../settlement/index.js';
import type { Logger } from '../utils/logger.js';

export class NodeWallet {
  #signer: Signer | undefined;
  #opening: Promise<Signer> | undefined;
  #clients: ChainClients | undefined;
  #closed = false;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly logger: Logger,
    private readonly kms: KmsHooks | undefined,
  ) {}

  /** True when the key is in a KMS (opened asynchronously, at start). */
  get isKms(): boolean {
    return isKmsBackend(this.config.security?.keyBackend);
  }

  /** An `env` key, parsed now (a bad key throws here, so a node with one fails to construct). */
  signerNow(): Signer {
    if (this.isKms) throw new Error('NodeWallet.signerNow: a KMS key is opened with open()');
    this.#signer ??= createSigner(this.config);
    return this.#signer;
  }

  /** The signer, opened on first use (a KMS key: its public key read and checked). */
  open(): Promise<Signer> {
    if (this.#signer !== undefined) return Promise.resolve(this.#signer);
    this.#opening ??= openSigner(this.config, { logger: this.logger, kms: this.kms }).then(
      (signer) => {
        this.#signer = signer;
        return signer;
      },
      (error: unknown) => {
        this.#opening = undefined;
        throw error;
      },
    );
    return this.#opening;
  }

  /** The chain clients of the node's key: one per chain, shared by settlement and the gateway. */
  async clients(): Promise<ChainClients> {
    const signer = await this.open();
    this.#clients ??= new ChainClients(signer);
    return this.#clients;
  }

  /** Once both users have stopped; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const signer = this.#signer ?? (await this.#opening?.catch(() => undefined));
    await signer?.close?.();
  }
}
