import type { BtpMessage, BtpTransfer, ProtocolData } from '../codec/btp.js';

/** Bounds of the BTP layer. Units are in the names; every value is a positive integer. */
export interface BtpLimits {
  /** WebSocket maxPayload, both directions. */
  maxFrameBytes: number;
  /** Outgoing requests awaiting an answer per peer; incoming handler calls per peer (all its sockets). */
  maxInFlightPerLink: number;
  requestTimeoutMs: number;
  /** The accepting side closes a socket that has not authenticated by then; the dialing side
   *  also bounds its WebSocket handshake and its wait for the auth answer by it. */
  authTimeoutMs: number;
  /** Ping interval; a socket without a pong since the previous ping is terminated. */
  keepaliveIntervalMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Authenticated sockets kept per peer; a newer one beyond it closes the oldest. Default 8. */
  maxSocketsPerPeer?: number;
  /** Wait for the WebSocket closing handshake before destroying the socket. Default 2000. */
  closeTimeoutMs?: number;
  /** Accepted sockets still waiting to authenticate; beyond it new ones are closed at once. Default 4096. */
  maxUnauthenticatedSockets?: number;
  /** Bytes written to a socket and not yet taken by the peer; beyond it the peer is deemed not
   *  reading and the socket is cut (its in-flight requests reject). Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Login attempts one remote address may have outstanding or failed before its upgrades get
   *  HTTP 429 (a successful login gives its attempt back). Default 20. */
  authAttemptsPerAddress?: number;
  /** One attempt regained per this many ms. Default 1000. */
  authAttemptRefillMs?: number;
}

export type ResolvedBtpLimits = Readonly<Required<BtpLimits>>;

export const DEFAULT_BTP_LIMITS: ResolvedBtpLimits = Object.freeze({
  maxFrameBytes: 262_144,
  maxInFlightPerLink: 10_000,
  requestTimeoutMs: 35_000,
  authTimeoutMs: 5_000,
  keepaliveIntervalMs: 20_000,
  reconnectMinMs: 100,
  reconnectMaxMs: 30_000,
  maxSocketsPerPeer: 8,
  closeTimeoutMs: 2_000,
  maxUnauthenticatedSockets: 4_096,
  maxBufferedBytes: 16_777_216,
  authAttemptsPerAddress: 20,
  authAttemptRefillMs: 1_000,
});

/**
 * Answers an incoming BTP Message (or Transfer) from an authenticated peer with the
 * protocolData of the Response. Throwing BtpRemoteError answers with a BTP Error of that code;
 * any other throw answers BTP Error F00 NotAcceptedError with the message.
 */
export type BtpRequestHandler = (
  peerId: string,
  packet: BtpMessage | BtpTransfer,
) => Promise<ProtocolData[]> | ProtocolData[];

export interface BtpPeer {
  id: string;
  /** ws://, wss://, btp+ws:// or btp+wss://; user:password in it override username and token. */
  url?: string;
  authToken: string;
}

/** WebSocket close codes we use (RFC 6455 §7.4.1). */
export const CLOSE_CODE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  policy: 1008,
  tryAgainLater: 1013,
} as const;
