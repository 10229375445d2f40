/**
 * The gateway part of a node (`mode: gateway`): opens the signer and the token on the gateway's
 * chain, opens the authorization store and settles what a previous run left fulfilled, then
 * serves paid HTTP requests (inbound.ts). It sends packets through the node's `send` callback,
 * so it knows nothing of the pipeline (core/ wires it).
 */
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import type { IlpReply } from '../codec/index.js';
import type { ResolvedGatewayConfig } from '../config/index.js';
import type { Signer } from '../keys/index.js';
import type { ChainClients } from '../settlement/index.js';
import type { NodeEvent } from '../types/index.js';
import { ConfigurationError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { AuthorizationStore } from './authorization-store.js';
import { RemoteFacilitator } from './facilitator.js';
import { type IlpPrepareRequest, InboundGateway, type InboundStats } from './inbound.js';
import { OutboundGateway } from './outbound.js';
import { resolveRoutes } from './routes.js';
import { Settler } from './settler.js';
import { SpendLog } from './spend-log.js';
import { GatewayToken } from './token.js';
import { EVM_NETWORKS } from './x402.js';

export interface GatewayOptions {
  readonly config: ResolvedGatewayConfig;
  /** The node's asset scale: ILP amounts are in it. */
  readonly assetScale: number;
  /** Where the store goes when `storePath` is not set (the node's data dir). */
  readonly dataDir: string;
  /** The node's key and its chain clients (the node owns and closes them; shared with settlement). */
  readonly chainClients: () => Promise<ChainClients>;
  readonly send: (prepare: IlpPrepareRequest) => Promise<IlpReply>;
  readonly logger: Logger;
  readonly now?: () => number;
  /** The Explorer's events: settlements in, payments out. */
  readonly onEvent?: ((event: Omit<NodeEvent, 'id' | 'ts'>) => void) | undefined;
}

export const DEFAULT_STORE_FILE = 'gateway-authorizations.jsonl';
export const DEFAULT_SPEND_FILE = 'gateway-spend.jsonl';

export class X402Gateway {
  #server: Server | undefined;
  #store: AuthorizationStore | undefined;
  #spend: SpendLog | undefined;
  #settler: Settler | undefined;
  #inbound: InboundGateway | undefined;
  #outbound: OutboundGateway | undefined;
  #signer: Signer | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #stopping: Promise<void> | undefined;
  #tokensSettledIn = 0n;

  constructor(private readonly o: GatewayOptions) {}

  get port(): number {
    const address = this.#server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  get url(): string {
    return `http://${this.o.config.host}:${this.port}`;
  }

  /** ILP to HTTP: answers packets to `<node>.x402`; undefined without `gateway.outbound`. */
  get outbound(): OutboundGateway | undefined {
    return this.#outbound;
  }

  get stats(): InboundStats | undefined {
    return this.#inbound?.stats;
  }

  /** Requests by direction and outcome, tokens moved: the node's /metrics reads these. */
  counters(): {
    inbound: Readonly<Record<string, number>>;
    outbound: Readonly<Record<string, number>>;
    tokensSettledIn: bigint;
    tokensPaidOut: bigint;
  } {
    const o = this.#outbound?.stats;
    return {
      inbound: { ...this.#inbound?.stats },
      outbound: o === undefined ? {} : { paid: o.paid, free: o.free, refused: o.refused },
      tokensSettledIn: this.#tokensSettledIn,
      tokensPaidOut: o?.tokensPaidOut ?? 0n,
    };
  }

  /** The x402 network name (`base-sepolia`, ...). */
  get network(): string {
    return this.o.config.network;
  }

  /** The address payments go to: the node's signer. */
  get payTo(): string | undefined {
    return this.#signer?.address;
  }

  async start(): Promise<void> {
    const { config, logger } = this.o;
    const now = this.o.now ?? Date.now;
    const chainId = networkChainId(config);
    const clients = await this.o.chainClients();
    this.#signer = clients.signer;
    const token = await GatewayToken.connect({
      rpcUrl: config.rpcUrl,
      chainId,
      asset: config.asset as `0x${string}`,
      clients,
      pollingIntervalMs: config.chainPollingIntervalMs,
      name: config.assetName,
      version: config.assetVersion,
    });
    const routes = resolveRoutes(config, this.o.assetScale, token.decimals);
    const storePath = config.storePath ?? join(this.o.dataDir, DEFAULT_STORE_FILE);
    const { store, recovered, voided } = await AuthorizationStore.open(storePath);
    this.#store = store;
    for (const v of voided)
      logger.warn({ id: v.id }, 'x402 authorization held with no ILP outcome before a restart: voided');
    const baseUrl = () => (config.publicUrl ?? this.url).replace(/\/$/, '');
    const remote =
      config.facilitatorUrl === undefined
        ? undefined
        : new RemoteFacilitator({
            url: config.facilitatorUrl,
            timeoutMs: config.facilitatorTimeoutMs,
            domain: token.domain,
            fallbackResource: () => `${baseUrl()}/`,
          });
    const settler = new Settler({
      token,
      remote,
      store,
      logger,
      retryIntervalMs: config.settleRetryMs,
      nowSeconds: () => BigInt(Math.floor(now() / 1000)),
      onSettled: (stored, tx) => {
        this.#tokensSettledIn += stored.authorization.value;
        this.o.onEvent?.({
          type: 'x402.settled',
          amount: stored.authorization.value.toString(),
          destination: stored.destination,
          chain: stored.network,
          ...(tx === '' ? {} : { txHash: tx }),
          data: { payer: stored.authorization.from, ilpAmount: stored.amount.toString() },
        });
      },
      onFailed: (stored, reason) =>
        this.o.onEvent?.({
          type: 'x402.settle-failed',
          amount: stored.authorization.value.toString(),
          destination: stored.destination,
          chain: stored.network,
          data: { payer: stored.authorization.from, reason: reason.slice(0, 500) },
        }),
    });
    this.#settler = settler;
    // What a crash left between a Fulfill and its settlement: settled now, exactly once.
    for (const r of recovered) {
      const result = await settler.settle(r);
      logger.info({ id: r.id, settled: result.settled }, 'x402 authorization from a previous run settled');
    }
    this.#inbound = new InboundGateway({
      routes,
      network: config.network,
      payTo: this.#signer.address,
      domain: token.domain,
      baseUrl,
      store,
      settler,
      token,
      remote,
      send: this.o.send,
      settleMarginSeconds: config.settleMarginSeconds,
      packetTimeoutMs: config.packetTimeoutMs,
      maxRequestBodyBytes: config.maxRequestBodyBytes,
      now,
      logger,
    });
    const outbound = config.outbound;
    if (outbound?.dailySpendCap !== undefined)
      this.#spend = await SpendLog.open(
        outbound.spendStorePath ?? join(dirname(storePath), DEFAULT_SPEND_FILE),
        now(),
      );
    if (outbound !== undefined)
      this.#outbound = new OutboundGateway({
        signer: this.#signer,
        network: config.network,
        chainId,
        asset: token.asset,
        decimals: token.decimals,
        assetScale: this.o.assetScale,
        allowedHosts: outbound.allowedHosts,
        maxPrice: outbound.maxPrice,
        feePerRequest: outbound.feePerRequest,
        dailySpendCap: outbound.dailySpendCap,
        spend: this.#spend,
        now,
        requestTimeoutMs: outbound.requestTimeoutMs,
        logger,
        onPaid: (url, price, payTo, tx) =>
          this.o.onEvent?.({
            type: 'x402.paid',
            amount: price.toString(),
            destination: url,
            chain: config.network,
            ...(tx === undefined ? {} : { txHash: tx }),
            data: { payTo },
          }),
      });
    await this.#listen();
    logger.info(
      { url: this.url, network: config.network, payTo: this.#signer.address },
      'x402 gateway listening',
    );
  }

  /** Stops taking requests, lets those in flight finish, stops retries; idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopOnce();
    return this.#stopping;
  }

  async #stopOnce(): Promise<void> {
    const server = this.#server;
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    }
    await Promise.allSettled([...this.#inFlight]);
    this.#settler?.stop();
    await this.#store?.close();
    await this.#spend?.close();
  }

  async #listen(): Promise<void> {
    const { config } = this.o;
    const max = config.maxConcurrentRequests;
    const server = createServer((req, res) => {
      if (this.#inFlight.size >= max) {
        res.writeHead(503, { 'retry-after': '1', connection: 'close' }).end();
        return;
      }
      const task = this.#inbound!.handle(req, res).catch((error) => {
        this.o.logger.error({ err: error }, 'x402 gateway request failed');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
      this.#inFlight.add(task);
      void task.finally(() => this.#inFlight.delete(task));
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 60_000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }
}

/** The chain the network names; a configured chainId must agree with it. */
function networkChainId(config: ResolvedGatewayConfig): number {
  const known = EVM_NETWORKS.get(config.network);
  const chainId = config.chainId ?? known;
  if (chainId === undefined)
    throw new ConfigurationError([
      { path: 'gateway.network', message: `unknown x402 network "${config.network}": set gateway.chainId` },
    ]);
  if (known !== undefined && known !== chainId)
    throw new ConfigurationError([
      { path: 'gateway.chainId', message: `${chainId} is not the chain of ${config.network} (${known})` },
    ]);
  return chainId;
}
