/**
 * The one config schema, used for YAML files and JS objects alike. `ConnectorConfig` is what users
 * write (amounts as bigint, number or string; most fields optional); `ResolvedConfig` is what the
 * loader returns (defaults applied, amounts as bigint, deep-frozen).
 *
 * Sections the spec leaves open (settlement, settlementInfra, security, performance) are loose:
 * their known fields are typed, unknown fields pass through untouched. Everything else is strict
 * so that a typo in a key is an error rather than a silently ignored setting.
 */
import { z } from 'zod';
import {
  boolField,
  evmAddressField,
  hexField,
  ilpAddressField,
  intField,
  ipOrCidrField,
  portField,
  positiveIntField,
  positiveNumberField,
  routePrefixField,
  segmentField,
  u64Field,
  u128Field,
  urlField,
} from './fields.js';
import { gatewaySchema } from './gateway.js';
import { kmsSecurityFields } from './kms.js';

export const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
export const DEPLOYMENT_MODES = ['embedded', 'standalone'] as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export const PEER_RELATIONS = ['peer', 'child', 'parent'] as const;
export const KEY_BACKENDS = ['env', 'aws-kms', 'gcp-kms', 'azure-kv'] as const;
export const NETWORK_MODES = ['testnet', 'mainnet'] as const;
/** How the default ledger persists (docs/config.md has the cost of each). */
export const LEDGER_DURABILITIES = ['fsync', 'write', 'snapshot', 'off'] as const;
export const CONNECTOR_MODES = ['connector', 'gateway'] as const;
/** Whether unknown BTP usernames may dial in as children (docs/routing.md, "Open admission"). */
export const ADMISSION_MODES = ['closed', 'open'] as const;

/** Bounds on list sizes: a config is operator input, and every list we hold has a limit. */
export const CONFIG_LIMITS = {
  maxPeers: 10_000,
  maxRoutes: 100_000,
  maxRoutesPerPeer: 1_000,
  maxAllowedIPs: 1_000,
  maxTigerBeetleReplicas: 16,
} as const;

const DAY_MS = 86_400_000;
const MAX_INT = Number.MAX_SAFE_INTEGER;
const peerUrlProtocols = ['ws:', 'wss:', 'btp+ws:', 'btp+wss:'];
const httpProtocols = ['http:', 'https:'];
const rpcProtocols = ['http:', 'https:', 'ws:', 'wss:'];

const assetSchema = z.strictObject({
  code: z.string().min(1).max(16).default('USD'),
  scale: intField(0, 255).default(9),
});

const peerRouteSchema = z.strictObject({
  prefix: routePrefixField(),
  priority: intField(-MAX_INT, MAX_INT).default(0),
});

const rateLimitSchema = z
  .strictObject({
    packetsPerSecond: positiveNumberField(1_000_000_000),
    burst: positiveIntField(MAX_INT).optional(),
  })
  // A missing burst allows one second's worth of packets at once.
  .transform(({ packetsPerSecond, burst }) => ({
    packetsPerSecond,
    burst: burst ?? Math.max(1, Math.ceil(packetsPerSecond)),
  }));

const balanceSchema = z
  .strictObject({
    maximum: u64Field().optional(),
    settleThreshold: u64Field().optional(),
    settleTo: u64Field().default(0n),
  })
  .superRefine((b, ctx) => {
    // zod may run this even when a field failed; compare only real amounts.
    const { settleThreshold, settleTo } = b;
    if (typeof settleThreshold === 'bigint' && typeof settleTo === 'bigint' && settleTo > settleThreshold) {
      ctx.addIssue({ code: 'custom', path: ['settleTo'], message: 'must not exceed settleThreshold' });
    }
  });

export const peerSchema = z.strictObject({
  id: segmentField(),
  url: urlField(peerUrlProtocols).optional(),
  authToken: z.string().default(''),
  evmAddress: evmAddressField().optional(),
  /** The `blockchain` entry (chain name) this peer settles on; default `settlementInfra.chain`. */
  settlementChain: segmentField().optional(),
  relation: z.enum(PEER_RELATIONS).default('peer'),
  routes: z.array(peerRouteSchema).max(CONFIG_LIMITS.maxRoutesPerPeer).optional(),
  maxPacketAmount: u64Field().optional(),
  rateLimit: rateLimitSchema.optional(),
  balance: balanceSchema.optional(),
  assetCode: z.string().min(1).max(16).optional(),
  assetScale: intField(0, 255).optional(),
  /** CCP: advertise our routes to this peer; default true except for children (docs/routing.md). */
  sendRoutes: boolField().optional(),
  /** CCP: learn routes this peer advertises; default true except for children. */
  receiveRoutes: boolField().optional(),
});

export const routeSchema = z.strictObject({
  prefix: routePrefixField(),
  nextHop: segmentField(),
  priority: intField(-MAX_INT, MAX_INT).default(0),
});

const adminApiSchema = z.strictObject({
  enabled: boolField().default(false),
  port: portField().default(8081),
  host: z.string().min(1).optional(),
  apiKey: z.string().min(1, { error: 'must not be empty (omit it to use only the IP allowlist)' }).optional(),
  allowedIPs: z.array(ipOrCidrField()).max(CONFIG_LIMITS.maxAllowedIPs).optional(),
  trustProxy: boolField().default(false),
});

const localDeliverySchema = z.strictObject({
  enabled: boolField().default(false),
  handlerUrl: urlField(httpProtocols).optional(),
  timeout: positiveIntField(600_000).default(5000),
  perHopNotification: boolField().default(false),
  authToken: z.string().optional(),
});

const explorerSchema = z.strictObject({
  enabled: boolField().default(true),
  port: portField().default(3001),
  host: z.string().min(1).optional(),
  /** Required on every route when the host is not loopback; default: the admin API key. */
  apiKey: z.string().min(1).optional(),
  retentionDays: positiveIntField(36_500).default(7),
  maxEvents: positiveIntField(1_000_000_000).default(1_000_000),
  /** The event store's SQLite file; default `events.db` beside the ledger snapshot. */
  storePath: z.string().min(1).optional(),
  /** Packets stored as events per second (default 1,000); above it they are sampled, all are counted. */
  maxPacketEventsPerSecond: positiveIntField(1_000_000).optional(),
});

/** RFC 27 expiry handling (DESIGN.md §3 step 2). */
const packetSchema = z
  .strictObject({
    minMessageWindowMs: positiveIntField(DAY_MS).default(1000),
    maxHoldTimeMs: positiveIntField(DAY_MS).default(30_000),
  })
  .superRefine((p, ctx) => {
    if (p.minMessageWindowMs >= p.maxHoldTimeMs) {
      ctx.addIssue({ code: 'custom', path: ['minMessageWindowMs'], message: 'must be below maxHoldTimeMs' });
    }
  });

/**
 * Open admission: unknown agents that dial in become children `<own>.<username>`, each with the
 * limits below (zero credit by default), at most `maxAgents` at once, evicted when idle.
 */
const admissionSchema = z.strictObject({
  mode: z.enum(ADMISSION_MODES).default('closed'),
  maxAgents: positiveIntField(1_000_000).default(1000),
  /** An agent with no packet in either direction for this long is disconnected and forgotten (its balance stays). */
  idleEvictMs: positiveIntField(DAY_MS).default(300_000),
  /** Per agent, as a peer's rateLimit: T05 above it. */
  rateLimit: rateLimitSchema.prefault({ packetsPerSecond: 100 }),
  /** Credit extended to each agent (its balance.maximum); 0: it spends only what it received or prepaid. */
  maximum: u64Field().default(0n),
  maxPacketAmount: u64Field().optional(),
  /**
   * Usernames of agents gone whose token is remembered, so nobody else can take the name and its
   * balance. Beyond it the oldest with an empty account is forgotten; one holding money never is.
   */
  maxRememberedAgents: positiveIntField(100_000_000).default(100_000),
  /** A login is answered within this (binding, account, route, link made) or refused with T00. */
  timeoutMs: positiveIntField(600_000).default(5000),
  /** Names no agent may take besides the built-in ones (e.g. sub-addresses the node's own handler serves). */
  reservedUsernames: z.array(segmentField()).max(CONFIG_LIMITS.maxPeers).default([]),
});

/**
 * BTP link limits. An ILP Prepare is at most ~33 KB (32767 bytes of data plus headers), so 256 KiB
 * frames leave room for settlement messages; below 64 KiB a legal packet could be refused.
 */
const btpSchema = z
  .strictObject({
    maxFrameBytes: intField(65_536, 64 * 1024 * 1024).default(262_144),
    maxInFlightPerLink: positiveIntField(1_000_000).default(10_000),
    requestTimeoutMs: positiveIntField(DAY_MS).default(35_000),
    authTimeoutMs: positiveIntField(600_000).default(5000),
    keepaliveIntervalMs: positiveIntField(DAY_MS).default(20_000),
    reconnectMinMs: positiveIntField(DAY_MS).default(100),
    reconnectMaxMs: positiveIntField(DAY_MS).default(30_000),
    maxSocketsPerPeer: positiveIntField(1_000).default(8),
    closeTimeoutMs: positiveIntField(600_000).default(2000),
    maxUnauthenticatedSockets: positiveIntField(1_000_000).default(4096),
    maxBufferedBytes: intField(65_536, 1024 * 1024 * 1024).default(16_777_216),
    authAttemptsPerAddress: positiveIntField(1_000_000).default(20),
    authAttemptRefillMs: positiveIntField(DAY_MS).default(1000),
    allowNoAuth: boolField().optional(),
    connectWaitMs: intField(0, 600_000).default(5000),
    admission: admissionSchema.prefault({}),
  })
  .superRefine((b, ctx) => {
    if (b.reconnectMinMs > b.reconnectMaxMs) {
      ctx.addIssue({ code: 'custom', path: ['reconnectMinMs'], message: 'must not exceed reconnectMaxMs' });
    }
  });

/** Route learning by CCP (docs/routing.md); off unless enabled. */
const ccpSchema = z
  .strictObject({
    enabled: boolField().default(false),
    /** Heartbeat updates to each neighbour; changes go out at once (at most every 150 ms). */
    broadcastIntervalMs: positiveIntField(DAY_MS).default(30_000),
    /** The hold-down time we announce: our routes expire there this long after our last update. */
    routeExpiryMs: positiveIntField(DAY_MS).default(45_000),
    /** How often learned routes are checked for expiry. */
    cleanupIntervalMs: positiveIntField(DAY_MS).default(1000),
    /** Learned routes held at most, all neighbours together. */
    maxLearnedRoutes: positiveIntField(10_000_000).default(1_000_000),
  })
  .superRefine((c, ctx) => {
    // Our routes would expire at the neighbours between two heartbeats.
    if (c.routeExpiryMs <= c.broadcastIntervalMs) {
      ctx.addIssue({ code: 'custom', path: ['routeExpiryMs'], message: 'must exceed broadcastIntervalMs' });
    }
  });

const settlementSchema = z.looseObject({
  enabled: boolField().optional(),
  threshold: u64Field().optional(),
  pollingIntervalMs: positiveIntField(DAY_MS).optional(),
  ledgerSnapshotPath: z.string().min(1).optional(),
  ledgerPersistIntervalMs: positiveIntField(DAY_MS).optional(),
  ledgerDurability: z.enum(LEDGER_DURABILITIES).optional(),
  /**
   * Record each Prepare before it leaves and settle the unanswered ones with the next hop after
   * a crash (docs/settlement.md, "In-flight packets across a crash"). Journal ledger only; off by
   * default: it costs about a third of the durable ledger's throughput (docs/perf.md).
   */
  reconcileInFlight: boolField().optional(),
  tigerBeetleClusterId: u128Field().optional(),
  tigerBeetleReplicas: z.array(z.string().min(1)).max(CONFIG_LIMITS.maxTigerBeetleReplicas).optional(),
  tigerBeetleConnectTimeoutMs: positiveIntField(600_000).optional(),
  /** Channels and claims (settlement/channels/channel-store.ts); default beside the ledger snapshot. */
  statePath: z.string().min(1).optional(),
});

const settlementInfraSchema = z.looseObject({
  enabled: boolField().optional(),
  rpcUrl: urlField(rpcProtocols).optional(),
  privateKey: hexField(32, 'a private key').optional(),
  tokenAddress: evmAddressField().optional(),
  registryAddress: evmAddressField().optional(),
  networkMode: z.enum(NETWORK_MODES).optional(),
  mnemonic: z.string().min(1).optional(),
  derivationPath: z.string().min(1).optional(),
  mnemonicPassphrase: z.string().optional(),
  /** The chain (a `blockchain` name) peers settle on unless they name another; default `base`. */
  chain: segmentField().optional(),
  /** Challenge period of the channels this node opens, within the registry's bounds. */
  challengePeriodSeconds: positiveIntField(MAX_INT).optional(),
  /** Token base units deposited when a channel is opened automatically (at least what is owed). */
  initialDeposit: u128Field().optional(),
  /** Top a channel up (by max(this, initialDeposit)) once its unclaimed deposit falls below this. */
  topUpWatermark: u128Field().optional(),
  /** A peer's channel must give us at least this long to answer its close (default 1 h). */
  minChallengePeriodSeconds: positiveIntField(MAX_INT).optional(),
  /** Redeem a peer's claim once this many token base units are unredeemed (default 1: at once). */
  redeemMinimum: u128Field().optional(),
  /** How often channels on chain are checked (closes to challenge, settles to finish). */
  watchIntervalMs: positiveIntField(DAY_MS).optional(),
  /** Receipt and block polling of the chain clients. */
  chainPollingIntervalMs: positiveIntField(600_000).optional(),
  /** How long a start waits for each RPC's chain id; a mismatch stops the start, silence does not. */
  chainCheckTimeoutMs: positiveIntField(600_000).optional(),
});

/** rpcUrl and chainId may be left to a NETWORK_MODE preset of the same name (settlement checks). */
const chainSchema = z.strictObject({
  enabled: boolField().default(true),
  rpcUrl: urlField(rpcProtocols).optional(),
  chainId: positiveIntField(MAX_INT).optional(),
  /** The ERC-20 settled in; `base` (or the only chain) defaults to `settlementInfra.tokenAddress`, a preset to its USDC. */
  tokenAddress: evmAddressField().optional(),
  /** The TokenNetworkRegistry; `base` (or the only chain) defaults to `settlementInfra.registryAddress`. */
  registryAddress: evmAddressField().optional(),
});

/** `base` and `arbitrum` are the spec's presets; any other key is a chain of the same shape. */
const blockchainSchema = z
  .strictObject({ base: chainSchema.optional(), arbitrum: chainSchema.optional() })
  .catchall(chainSchema);

const securitySchema = z.looseObject({
  keyBackend: z.enum(KEY_BACKENDS).optional(),
  ...kmsSecurityFields,
  /** Lets `environment: production` sign on NETWORK_MODE=mainnet with a key from `env`. */
  allowEnvKeyOnMainnet: boolField().optional(),
});
const performanceSchema = z.looseObject({});

export const connectorConfigSchema = z.strictObject({
  nodeId: segmentField(),
  btpServerPort: portField(),
  // An empty network is a valid start (the spec's standalone YAML lists no routes).
  peers: z.array(peerSchema).max(CONFIG_LIMITS.maxPeers).default([]),
  routes: z.array(routeSchema).max(CONFIG_LIMITS.maxRoutes).default([]),
  environment: z.enum(ENVIRONMENTS),
  deploymentMode: z.enum(DEPLOYMENT_MODES).optional(),
  healthCheckPort: portField().default(8080),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  ilpAddress: ilpAddressField().optional(),
  mode: z.enum(CONNECTOR_MODES).default('connector'),
  /** x402 gateway (mode: gateway): docs/gateway.md. */
  gateway: gatewaySchema.optional(),
  asset: assetSchema.prefault({}),
  adminApi: adminApiSchema.prefault({}),
  localDelivery: localDeliverySchema.prefault({}),
  explorer: explorerSchema.prefault({}),
  packet: packetSchema.prefault({}),
  btp: btpSchema.prefault({}),
  ccp: ccpSchema.prefault({}),
  settlement: settlementSchema.optional(),
  settlementInfra: settlementInfraSchema.optional(),
  blockchain: blockchainSchema.optional(),
  security: securitySchema.optional(),
  performance: performanceSchema.optional(),
});

/** Recursively readonly; the loader deep-freezes the value to match. */
export type DeepReadonly<T> = T extends bigint | number | string | boolean | null | undefined
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : { readonly [K in keyof T]: DeepReadonly<T[K]> };

type Input = AcceptReadonly<z.input<typeof connectorConfigSchema>>;

/**
 * Arrays become readonly, objects stay as they are. Functions that take a config must accept
 * frozen arrays, so that a ResolvedConfig can be handed on as a ConnectorConfig (e.g.
 * `new ConnectorNode(ConfigLoader.load(file))`); readonly properties never block assignment.
 */
export type AcceptReadonly<T> = T extends bigint | number | string | boolean | null | undefined
  ? T
  : T extends readonly (infer U)[]
    ? readonly AcceptReadonly<U>[]
    : { [K in keyof T]: AcceptReadonly<T[K]> };

/** What users write, in YAML or as an object; a ResolvedConfig is one too. */
export type ConnectorConfig = Input;
/** What the loader returns: validated, defaulted, amounts as bigint, deep-frozen. */
export type ResolvedConfig = DeepReadonly<z.output<typeof connectorConfigSchema>>;

export type Environment = (typeof ENVIRONMENTS)[number];
export type DeploymentMode = (typeof DEPLOYMENT_MODES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type PeerRelation = (typeof PEER_RELATIONS)[number];
export type KeyBackend = (typeof KEY_BACKENDS)[number];

export type PeerConfig = AcceptReadonly<z.input<typeof peerSchema>>;
export type RouteConfig = z.input<typeof routeSchema>;
export type AdminApiConfig = NonNullable<Input['adminApi']>;
export type LocalDeliveryConfig = NonNullable<Input['localDelivery']>;
export type ExplorerConfig = NonNullable<Input['explorer']>;
export type SettlementConfig = NonNullable<Input['settlement']>;
export type SettlementInfraConfig = NonNullable<Input['settlementInfra']>;
export type BlockchainConfig = NonNullable<Input['blockchain']>;
export type SecurityConfig = NonNullable<Input['security']>;
export type PerformanceConfig = NonNullable<Input['performance']>;
export type BtpConfig = NonNullable<Input['btp']>;
export type PacketConfig = NonNullable<Input['packet']>;
export type CcpConfig = NonNullable<Input['ccp']>;
export type ResolvedGatewayConfig = NonNullable<ResolvedConfig['gateway']>;

export type ResolvedPeerConfig = ResolvedConfig['peers'][number];
export type ResolvedRouteConfig = ResolvedConfig['routes'][number];
export type BtpLimits = ResolvedConfig['btp'];
export type AdmissionConfig = ResolvedConfig['btp']['admission'];
export type AdmissionMode = (typeof ADMISSION_MODES)[number];
export type PacketLimits = ResolvedConfig['packet'];
