/**
 * The `gateway` section (mode: gateway, docs/gateway.md): an x402 resource server in front of
 * the node. Each route maps an HTTP path prefix to an ILP destination at a price in the token's
 * base units. Chain and token are the gateway's own (an x402 network is one chain and one asset).
 */
import { z } from 'zod';
import {
  evmAddressField,
  ilpAddressField,
  intField,
  portField,
  positiveIntField,
  u64Field,
  u128Field,
  urlField,
} from './fields.js';

export const GATEWAY_LIMITS = {
  maxRoutes: 1_000,
  /** x402's own bound on an EVM amount: 18 digits. */
  maxPrice: 10n ** 18n - 1n,
} as const;

const DAY_S = 86_400;

const pathField = () =>
  z
    .string()
    .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, { error: 'must be an absolute URL path, e.g. /weather' })
    .max(1024);

const gatewayRouteSchema = z.strictObject({
  /** Path prefix on `/` boundaries: `/weather` serves `/weather` and `/weather/...`. */
  path: pathField(),
  /** Where the request goes over ILP; the answer comes back in the Fulfill's data. */
  destination: ilpAddressField(),
  /** Price per request in the token's base units (`maxAmountRequired`). */
  price: u128Field().refine((p) => p > 0n && p <= GATEWAY_LIMITS.maxPrice, {
    error: `must be from 1 to ${GATEWAY_LIMITS.maxPrice} (x402 amounts have at most 18 digits)`,
  }),
  /** ILP amount of the Prepare; default the price moved from the token's decimals to asset.scale (must be exact). */
  amount: u64Field().optional(),
  maxTimeoutSeconds: positiveIntField(DAY_S).default(60),
  description: z.string().max(1024).default(''),
  /** Content type of the answer (the Fulfill's data). */
  mimeType: z.string().min(1).max(256).default('application/octet-stream'),
});

/** ILP to HTTP: packets to `<node address>.x402` carry an HTTP request the gateway pays for. */
const outboundSchema = z.strictObject({
  /** Hosts (`host` or `host:port`) the gateway may call; nothing else is fetched. */
  allowedHosts: z.array(z.string().min(1).max(300)).min(1).max(10_000),
  /** Highest price (token base units) the gateway pays for one request. */
  maxPrice: u128Field().default(GATEWAY_LIMITS.maxPrice),
  /** Most the gateway pays x402 servers per UTC day, in token base units (kept on disk: a restart continues the day's count). */
  dailySpendCap: u128Field().optional(),
  /** The day's spend with a `dailySpendCap`; default `gateway-spend.jsonl` beside `storePath`. */
  spendStorePath: z.string().min(1).optional(),
  /** Kept by the gateway per paid request (token base units), on top of the price. */
  feePerRequest: u128Field().default(0n),
  /** Each HTTP call (the first and the paid one). */
  requestTimeoutMs: positiveIntField(600_000).default(10_000),
});

export const gatewaySchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: portField().default(8402),
  /** Base of the `resource` URLs in the 402 answer; default http://<host>:<port>. */
  publicUrl: urlField(['http:', 'https:']).optional(),
  /** The x402 network name clients sign for (`base-sepolia`, `base`, ...); must match chainId. */
  network: z.string().min(1).max(64),
  rpcUrl: urlField(['http:', 'https:']),
  /** When given, the RPC must serve this chain; default the network's. */
  chainId: positiveIntField(Number.MAX_SAFE_INTEGER).optional(),
  /** The EIP-3009 token (USDC or the TestToken). */
  asset: evmAddressField(),
  /** EIP-712 domain of the token; default read from its name() and version(). */
  assetName: z.string().min(1).max(256).optional(),
  assetVersion: z.string().min(1).max(64).optional(),
  /** Authorizations kept until settled; default `gateway-authorizations.jsonl` beside the ledger snapshot. */
  storePath: z.string().min(1).optional(),
  /** Time kept after the ILP answer to get the settlement mined before the authorization expires. */
  settleMarginSeconds: intField(1, DAY_S).default(10),
  /** Longest an ILP request may wait for its answer (capped by the authorization's window). */
  packetTimeoutMs: positiveIntField(600_000).default(30_000),
  /** Largest HTTP request body taken (it must fit in a Prepare with its request line and headers). */
  maxRequestBodyBytes: intField(0, 32_000).default(16_384),
  /** Requests being paid for at once; more get 503. */
  maxConcurrentRequests: positiveIntField(100_000).default(256),
  /** A settlement the RPC failed (not refused) is tried again after this long, until its window ends. */
  settleRetryMs: positiveIntField(3_600_000).default(2000),
  /**
   * A remote x402 facilitator (its `/verify` and `/settle`) instead of the gateway being its own:
   * it verifies what needs the chain and sends the settlement transaction.
   */
  facilitatorUrl: urlField(['http:', 'https:']).optional(),
  /** Each call to the remote facilitator. */
  facilitatorTimeoutMs: positiveIntField(600_000).default(10_000),
  /** Receipt and block polling of the chain client. */
  chainPollingIntervalMs: positiveIntField(600_000).default(1000),
  routes: z.array(gatewayRouteSchema).max(GATEWAY_LIMITS.maxRoutes).default([]),
  outbound: outboundSchema.optional(),
});

export type GatewayConfig = z.input<typeof gatewaySchema>;
