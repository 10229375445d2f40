/**
 * A key held by a KMS, as a Signer (DESIGN §7, Keys). The KMS signs a 32-byte digest and returns
 * (r, s) without a recovery id; this class bounds the calls (kms-caller.ts, slots.ts), finds the
 * recovery id by recovering against the address the public key gave at `open`, and refuses a
 * signature that recovers to no address of ours: it is never returned, so never sent.
 */
import { type Address, type Hex, hexToBytes, recoverAddress } from 'viem';
import { ConnectorError } from '../../utils/errors.js';
import { joinSignature, SECP256K1_HALF_N, SECP256K1_N } from '../signature.js';
import { DigestSigner } from '../signer.js';
import { KmsCaller, type KmsCallerOptions } from './kms-caller.js';
import { type KmsBackend, KmsError } from './kms-error.js';
import { Slots } from './slots.js';

/** One backend's SDK calls; everything else is shared. */
export interface KmsClient {
  readonly backend: KmsBackend;
  /** The key as errors and logs name it: an id, ARN or resource name, never a credential. */
  readonly keyRef: string;
  /** Fetches the public key, checks its type and curve, and returns its address. */
  address(signal: AbortSignal): Promise<Address>;
  /** Signs the digest; (r, s) with any s. */
  sign(digest: Uint8Array, signal: AbortSignal): Promise<{ r: bigint; s: bigint }>;
  classify: KmsCallerOptions['classify'];
  /** Releases the SDK's connections. */
  close(): Promise<void>;
}

export class KmsSigner extends DigestSigner {
  readonly address: Address;
  readonly backend: KmsBackend;
  readonly #client: KmsClient;
  readonly #caller: KmsCaller;
  readonly #slots: Slots;

  private constructor(client: KmsClient, caller: KmsCaller, address: Address, slots: Slots) {
    super();
    this.#client = client;
    this.#caller = caller;
    this.address = address;
    this.backend = client.backend;
    this.#slots = slots;
  }

  /** Reads the public key (retried like any call); a key of the wrong type fails here, at start. */
  static async open(client: KmsClient, options: Omit<KmsCallerOptions, 'backend' | 'keyRef' | 'classify'>) {
    const caller = new KmsCaller({
      ...options,
      backend: client.backend,
      keyRef: client.keyRef,
      classify: client.classify,
    });
    const address = await caller.call('GetPublicKey', (signal) => client.address(signal));
    const { maxConcurrentSigns, maxQueuedSigns } = options.limits;
    return new KmsSigner(client, caller, address, new Slots(maxConcurrentSigns, maxQueuedSigns));
  }

  /** The key as the KMS names it (for `connector keys` and start-up logs). */
  get keyRef(): string {
    return this.#client.keyRef;
  }

  /** Signs in flight and waiting (for metrics and the bench). */
  get load(): { inFlight: number; queued: number } {
    return { inFlight: this.#slots.held, queued: this.#slots.queued };
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  protected async signRaw(digest: Hex): Promise<Hex> {
    const bytes = hexToBytes(digest);
    if (bytes.length !== 32) {
      throw new ConnectorError('ERR_INVALID_ARGUMENT', `a digest is 32 bytes, got ${bytes.length}`);
    }
    if (!(await this.#slots.acquire())) {
      const busy = new Error(`more than ${this.#slots.queued} signs waiting`);
      throw new KmsError(this.backend, 'Sign', this.keyRef, 'throttled', busy);
    }
    let parts: { r: bigint; s: bigint };
    try {
      parts = await this.#caller.call('Sign', (signal) => this.#client.sign(bytes, signal));
    } finally {
      this.#slots.release();
    }
    return this.#withRecoveryId(digest, parts);
  }

  /** Low s, then the recovery id whose key is ours; none is a signature by another key. */
  async #withRecoveryId(digest: Hex, { r, s }: { r: bigint; s: bigint }): Promise<Hex> {
    const low = s > SECP256K1_HALF_N ? SECP256K1_N - s : s;
    for (const v of [27, 28]) {
      const signature = joinSignature({ r, s: low, v });
      const recovered = await recoverAddress({ hash: digest, signature }).catch(() => undefined);
      if (recovered === this.address) return signature;
    }
    throw new ConnectorError(
      'ERR_KMS_KEY',
      `${this.backend} key ${this.keyRef} returned a signature that does not recover to ${this.address}: refused (was the key or alias changed?)`,
    );
  }
}
