/**
 * One error family with stable string codes. Every code is listed in docs/errors.md;
 * test/utils/errors.test.ts fails when the two drift apart.
 *
 * ILP rejects are values, not exceptions: these classes are for bugs, I/O and bad input at
 * the edges (config, decoders, API arguments).
 */
export const ERROR_CODES = {
  ERR_CONFIG_INVALID: 'configuration is invalid',
  ERR_CONFIG_READ: 'configuration file could not be read or parsed',
  ERR_NOT_STARTED: 'the connector node is not started',
  ERR_ALREADY_STARTED: 'the connector node is already started',
  ERR_CODEC: 'bytes could not be decoded or a value could not be encoded',
  ERR_BTP_AUTH: 'BTP authentication failed',
  ERR_BTP_TIMEOUT: 'a BTP request timed out',
  ERR_BTP_CLOSED: 'the BTP link closed before an answer arrived',
  ERR_BTP_REMOTE: 'the BTP peer answered with a BTP Error',
  ERR_BTP_LIMIT: 'a BTP limit was exceeded',
  ERR_BTP_PROTOCOL: 'the BTP peer answered in a way the protocol does not allow',
  ERR_PEER_UNKNOWN: 'no such peer',
  ERR_PEER_EXISTS: 'a peer with that id already exists',
  ERR_ROUTE_INVALID: 'the route is invalid',
  ERR_LEDGER: 'a ledger operation failed',
  ERR_INVALID_ARGUMENT: 'an argument is invalid',
  ERR_SETTLEMENT_UNAVAILABLE: 'settlement is not configured or not available on this node',
  ERR_CHAIN_REVERT: 'a chain call or transaction reverted',
  ERR_CHAIN_RPC: 'the chain RPC failed or could not be reached',
  ERR_CHAIN_TIMEOUT: 'a chain request or transaction timed out',
  ERR_CHAIN_WRONG_CHAIN: 'the RPC serves another chain than the one configured',
  ERR_CHAIN_NOT_FOUND: 'an expected on-chain contract, channel or event was not found',
  ERR_CLAIM_REFUSED: 'a payment-channel claim was refused',
  ERR_KMS: 'a KMS call failed, timed out or was throttled (AWS KMS, Google Cloud KMS, Azure Key Vault)',
  ERR_KMS_KEY: 'the KMS key cannot sign for settlement (type, curve, usage) or signed as another key',
  ERR_CHANNEL: 'no usable payment channel with the peer',
  ERR_CHANNEL_UNKNOWN: 'this node knows no payment channel with that id',
  ERR_INSUFFICIENT_FUNDS: 'the wallet holds less than the amount asked for',
  ERR_PORT_IN_USE: 'a port the node listens on is in use (or not allowed); the message names its setting',
  ERR_STORE_UNAVAILABLE: 'the explorer event store is not open (failed or closed)',
  ERR_GATEWAY_STORE: "the x402 gateway's authorization store is corrupt or cannot be written",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ConnectorError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A problem in a config, with the path of the offending field (e.g. `peers.0.url`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

export class ConfigurationError extends ConnectorError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], source?: string) {
    const where = source ? ` in ${source}` : '';
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n');
    super('ERR_CONFIG_INVALID', `invalid configuration${where}:\n${lines}`);
    this.issues = issues;
  }
}

export class ConnectorNotStartedError extends ConnectorError {
  constructor(what = 'operation') {
    super('ERR_NOT_STARTED', `cannot ${what}: the connector node is not started`);
  }
}

/** Thrown by every decoder on malformed input; `offset` is where decoding failed. */
export class CodecError extends ConnectorError {
  readonly offset: number;
  constructor(message: string, offset = -1) {
    super('ERR_CODEC', offset >= 0 ? `${message} (at byte ${offset})` : message);
    this.offset = offset;
  }
}
