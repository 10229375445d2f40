/**
 * The signing interface settlement uses (DESIGN §7, Keys). Every backend reduces to one
 * primitive, `signDigest` over a 32-byte hash, which is all a KMS offers; typed data, messages
 * and transactions are hashed here with viem and signed through it. Output is always canonical
 * (keys/signature.ts), whatever the backend returned.
 *
 * Key material never leaves a signer: implementations keep it in `#private` fields, and
 * `toJSON`, `toString` and `util.inspect` show only the backend and the address.
 */
import { inspect } from 'node:util';
import {
  type Address,
  type Hex,
  hashMessage,
  hashTypedData,
  keccak256,
  parseSignature,
  type SerializeTransactionFn,
  type SignableMessage,
  serializeTransaction,
  type TransactionSerializable,
  type TypedData,
  type TypedDataDefinition,
} from 'viem';
import { normaliseSignature } from './signature.js';

export type SignerBackend = 'env-key' | 'hd-wallet' | 'aws-kms' | 'gcp-kms' | 'azure-kv';

export interface Signer {
  /** Checksummed EOA address of the key. */
  readonly address: Address;
  readonly backend: SignerBackend;
  /** 65 bytes r ‖ s ‖ v, low-s, v ∈ {27, 28}. */
  signDigest(digest: Hex): Promise<Hex>;
  /** EIP-712: signs `hashTypedData(typedData)`. */
  signTypedData<const T extends TypedData | Record<string, unknown>, P extends keyof T | 'EIP712Domain'>(
    typedData: TypedDataDefinition<T, P>,
  ): Promise<Hex>;
  /** EIP-191 personal message. */
  signMessage(message: SignableMessage): Promise<Hex>;
  /** A signed, serialized transaction ready for `eth_sendRawTransaction`. */
  signTransaction(transaction: TransactionSerializable, serializer?: SerializeTransactionFn): Promise<Hex>;
  /** Releases what the backend holds (a KMS client's connections); local keys hold nothing. */
  close?(): Promise<void>;
}

/**
 * Base of every backend: subclasses provide `signRaw` (any `s`, v as 0/1 or 27/28) and get the
 * rest, normalised. A KMS signer is one subclass more.
 */
export abstract class DigestSigner implements Signer {
  abstract readonly address: Address;
  abstract readonly backend: SignerBackend;

  protected abstract signRaw(digest: Hex): Promise<Hex>;

  async signDigest(digest: Hex): Promise<Hex> {
    return normaliseSignature(await this.signRaw(digest));
  }

  signTypedData<const T extends TypedData | Record<string, unknown>, P extends keyof T | 'EIP712Domain'>(
    typedData: TypedDataDefinition<T, P>,
  ): Promise<Hex> {
    return this.signDigest(hashTypedData(typedData));
  }

  signMessage(message: SignableMessage): Promise<Hex> {
    return this.signDigest(hashMessage(message));
  }

  /** As viem's local accounts do: hash the unsigned serialization, sign, serialize with it. */
  async signTransaction(
    transaction: TransactionSerializable,
    serializer: SerializeTransactionFn = serializeTransaction,
  ): Promise<Hex> {
    const digest = keccak256(await serializer(transaction));
    const signature = parseSignature(await this.signDigest(digest));
    return serializer(transaction, signature);
  }

  toJSON(): { backend: SignerBackend; address: Address } {
    return { backend: this.backend, address: this.address };
  }

  toString(): string {
    return `${this.backend} signer ${this.address}`;
  }

  [inspect.custom](): string {
    return `${this.constructor.name} { backend: '${this.backend}', address: '${this.address}' }`;
  }
}
