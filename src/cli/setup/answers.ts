/**
 * What `connector setup` asks, as one value: the interactive prompts and the `--yes` flags both
 * produce a SetupAnswers, and render.ts turns it into config.yaml and .env. The checks here are
 * the per-answer validation both forms share (a message, or undefined when the value is fine).
 */
import { isAddress } from 'viem';
import { isValidAddress, SEGMENT_REGEX } from '../../codec/address.js';
import type { KeyBackend } from '../../config/index.js';
import { checkDerivationPath, checkMnemonic, parsePrivateKey } from '../../keys/index.js';

export type Relation = 'peer' | 'child' | 'parent';

export interface PeerAnswer {
  readonly id: string;
  /** Where to dial it; unset for a peer that dials in (a child, typically). */
  readonly url?: string | undefined;
  readonly relation: Relation;
  /** Shared BTP secret; '' is permissionless. Goes to .env, never to the YAML. */
  readonly token: string;
  /** Credit extended to the peer (balance.maximum). */
  readonly creditLimit?: bigint | undefined;
  readonly settleThreshold?: bigint | undefined;
  readonly evmAddress?: string | undefined;
}

export type KeyAnswer =
  | { readonly kind: 'private-key'; readonly privateKey: string }
  | { readonly kind: 'mnemonic'; readonly mnemonic: string; readonly derivationPath?: string | undefined }
  | {
      readonly kind: 'kms';
      readonly keyBackend: Exclude<KeyBackend, 'env'>;
      /** By config path (`security.awsKms.keyId`), from KEY_BACKEND_INFO. */
      readonly fields: Readonly<Record<string, string>>;
    };

export type SettlementAnswer =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      /** A SETTLEMENT_NETWORKS id: a NETWORK_MODE preset or `custom`. */
      readonly network: string;
      readonly rpcUrl?: string | undefined;
      readonly chainId?: number | undefined;
      readonly tokenAddress: string;
      readonly registryAddress: string;
      readonly threshold?: bigint | undefined;
      /** Other chains of a preset to settle on too, with their contracts; the rest are off. */
      readonly extraChains: readonly ExtraChainAnswer[];
      readonly key: KeyAnswer;
    };

export interface ExtraChainAnswer {
  readonly name: string;
  readonly tokenAddress: string;
  readonly registryAddress: string;
}

export type LedgerAnswer =
  | { readonly kind: 'durable' }
  | { readonly kind: 'tigerbeetle'; readonly clusterId: string; readonly replicas: readonly string[] };

export interface SetupAnswers {
  readonly nodeId: string;
  readonly environment: 'development' | 'staging' | 'production';
  /** Own address; unset: `g.<nodeId>`, or the parent's answer by IL-DCP when there is a parent. */
  readonly ilpAddress?: string | undefined;
  readonly btpPort: number;
  readonly healthPort: number;
  /** Undefined: the Explorer is off. */
  readonly explorerPort?: number | undefined;
  readonly deploymentMode: 'embedded' | 'standalone';
  readonly blsUrl?: string | undefined;
  readonly adminPort?: number | undefined;
  /** The parent (if any) first. */
  readonly peers: readonly PeerAnswer[];
  /** Ledger snapshot, journal, Explorer store and settlement state go here. */
  readonly dataDir: string;
  readonly ledger: LedgerAnswer;
  readonly settlement: SettlementAnswer;
}

export const DEFAULTS = Object.freeze({
  nodeId: 'my-connector',
  environment: 'development' as const,
  btpPort: 3000,
  healthPort: 8080,
  explorerPort: 3001,
  adminPort: 8081,
  blsUrl: 'http://localhost:3100',
  derivationPath: "m/44'/60'/0'/0/0",
});

/** `./data/<nodeId>`: one data directory per node, so two nodes never share a ledger. */
export const defaultDataDir = (nodeId: string): string => `./data/${nodeId}`;

type Check = (value: string) => string | undefined;

export const checkSegment: Check = (v) =>
  SEGMENT_REGEX.test(v) ? undefined : 'one ILP address segment: letters, digits, _ ~ - (no dots)';

export const checkIlpAddress: Check = (v) =>
  isValidAddress(v) ? undefined : 'an ILP address such as g.my-connector (RFC 15)';

export const checkPort: Check = (v) =>
  /^[0-9]{1,5}$/.test(v) && Number(v) <= 65535 ? undefined : 'a port from 0 to 65535';

export const checkBtpUrl: Check = (v) =>
  /^(btp\+)?wss?:\/\/[^/\s]+/i.test(v) ? undefined : 'a ws://, wss://, btp+ws:// or btp+wss:// URL';

export const checkHttpUrl: Check = (v) =>
  /^https?:\/\/[^/\s]+/i.test(v) ? undefined : 'an http:// or https:// URL';

export const checkRpcUrl: Check = (v) =>
  /^(https?|wss?):\/\/[^/\s]+/i.test(v) ? undefined : 'an http(s):// or ws(s):// RPC URL';

export const checkEvmAddress: Check = (v) =>
  isAddress(v, { strict: false }) ? undefined : 'an EVM address: 0x and 40 hex digits';

export const checkAmount: Check = (v) =>
  /^(0|[1-9][0-9]{0,19})$/.test(v) && BigInt(v) < 2n ** 64n
    ? undefined
    : 'a whole number of ILP units (0 to 2^64-1)';

export const checkPositiveInt: Check = (v) =>
  /^[1-9][0-9]{0,15}$/.test(v) ? undefined : 'a positive whole number';

export const checkPrivateKey: Check = (v) => {
  try {
    parsePrivateKey(v);
    return undefined;
  } catch {
    return 'a private key: 0x and 64 hex digits';
  }
};

export const checkMnemonicText: Check = (v) => {
  try {
    checkMnemonic(v);
    return undefined;
  } catch {
    return 'a BIP-39 mnemonic (12 or 24 English words)';
  }
};

export const checkPath: Check = (v) => {
  try {
    checkDerivationPath(v);
    return undefined;
  } catch {
    return "a BIP-32 path such as m/44'/60'/0'/0/0";
  }
};

/** A value written to .env inside double quotes: no quotes, backslashes or line breaks. */
export const checkSecret: Check = (v) =>
  /^[^"\\\r\n]*$/.test(v) ? undefined : 'no quotes, backslashes or line breaks';

export const checkNonEmpty: Check = (v) => (v.trim() === '' ? 'required' : undefined);

/** For a prompt's `validate`: true, or the message. */
export const asPromptCheck =
  (check: Check) =>
  (value: string): string | true =>
    check(value.trim()) ?? true;
