/**
 * The gateway's test network on anvil (chain id 84532, so x402's network `base-sepolia`
 * matches): gateway node G (mode: gateway) ─BTP─ connector M ─BTP─ agent node A, whose packet
 * handler is the agent. A payer wallet (viem) holds TestTokens; x402's own client code pays.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, createWalletClient, defineChain, http, publicActions, type WalletClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { baseSepolia } from 'viem/chains';
import { settle, verify } from 'x402/facilitator';
import type { ConnectorConfig, ConnectorNode, PaymentRequest, PaymentResponse } from '../../src/index.js';
import { baseConfig, btpUrl, makeNode, waitConnected } from '../helpers/nodes.js';
import { ANVIL_KEYS } from '../settlement/anvil.js';
import { addressOf, startTestChain, type TestChain } from '../settlement/chain-fixture.js';

export const CHAIN_ID = 84532;
export const GATEWAY_KEY = ANVIL_KEYS[1];
export const PAYER_KEY = ANVIL_KEYS[3];
/** Holds ETH but no tokens (index 0 deploys; tokens go to 1..3). */
export const POOR_KEY = ANVIL_KEYS[0];
/** 10^12 base units of an 18-decimals token = 1000 ILP units at asset scale 9. */
export const PRICE = 10n ** 12n;
export const ILP_AMOUNT = 1000n;

export type Agent = (request: PaymentRequest) => PaymentResponse | Promise<PaymentResponse>;

export interface GatewayNet {
  chain: TestChain;
  dir: string;
  g: ConnectorNode;
  m: ConnectorNode;
  a: ConnectorNode;
  /** The agent the A node answers with; tests replace it. */
  agent: Agent;
  /** Every Prepare the agent saw. */
  seen: PaymentRequest[];
  gatewayAddress: Address;
  payer: WalletClient;
  url(path: string): string;
  balance(owner: Address): Promise<bigint>;
  stop(): Promise<void>;
}

export function gatewaySection(chain: TestChain, dir: string, extra: Record<string, unknown> = {}) {
  return {
    port: 0,
    network: 'base-sepolia',
    rpcUrl: chain.anvil.rpcUrl,
    asset: chain.token,
    storePath: join(dir, 'gateway-authorizations.jsonl'),
    chainPollingIntervalMs: 20,
    routes: [
      {
        path: '/weather',
        destination: 'g.agent.weather',
        price: PRICE,
        description: 'weather',
        mimeType: 'text/plain',
      },
      { path: '/nowhere', destination: 'g.nowhere', price: PRICE },
    ],
    ...extra,
  };
}

export function gatewayConfig(
  chain: TestChain,
  dir: string,
  mUrl: string,
  gateway: Record<string, unknown> = {},
): ConnectorConfig {
  return baseConfig('g', {
    mode: 'gateway',
    peers: [{ id: 'm', url: mUrl, authToken: 'gm' }],
    routes: [{ prefix: 'g.agent', nextHop: 'm' }],
    settlement: { ledgerDurability: 'off', enabled: false },
    settlementInfra: { privateKey: GATEWAY_KEY },
    explorer: { enabled: true, port: 0, storePath: join(dir, 'events.db') },
    gateway: gatewaySection(chain, dir, gateway),
  } as Partial<ConnectorConfig>);
}

export function walletOf(key: `0x${string}`, rpcUrl: string): WalletClient {
  return createWalletClient({
    account: privateKeyToAccount(key),
    chain: baseSepolia,
    transport: http(rpcUrl),
  });
}

/** `gateway`: more of the gateway section, made once the chain runs (a facilitator on it). */
export async function startGatewayNet(
  gateway: (chain: TestChain) => Record<string, unknown> | Promise<Record<string, unknown>> = () => ({}),
): Promise<GatewayNet> {
  const chain = await startTestChain(CHAIN_ID);
  const dir = await mkdtemp(join(tmpdir(), 'gateway-'));
  const extra = await gateway(chain);
  const net = { chain, dir, seen: [] as PaymentRequest[] } as GatewayNet;
  net.agent = (req) => ({
    accept: true,
    data: Buffer.from(`sunny at ${req.destination}`).toString('base64'),
  });
  net.a = makeNode(baseConfig('agent', { peers: [{ id: 'm' }] }), { BTP_PEER_M_SECRET: 'ma' });
  net.a.setPacketHandler((req) => {
    net.seen.push(req);
    return net.agent(req);
  });
  await net.a.start();
  net.m = makeNode(
    baseConfig('m', {
      peers: [{ id: 'g' }, { id: 'agent', url: btpUrl(net.a), authToken: 'ma' }],
      routes: [{ prefix: 'g.agent', nextHop: 'agent' }],
    }),
    { BTP_PEER_G_SECRET: 'gm' },
  );
  await net.m.start();
  await waitConnected(net.m, 'agent');
  net.g = makeNode(gatewayConfig(chain, dir, btpUrl(net.m), extra));
  await net.g.start();
  await waitConnected(net.g, 'm');
  net.gatewayAddress = addressOf(GATEWAY_KEY);
  net.payer = walletOf(PAYER_KEY, chain.anvil.rpcUrl);
  net.url = (path) => `${net.g.gatewayUrl}${path}`;
  net.balance = (owner) => chain.balanceOf(owner);
  net.stop = async () => {
    await net.g?.stop();
    await net.m?.stop();
    await net.a?.stop();
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return net;
}

export interface Facilitator {
  readonly server: Server;
  readonly url: string;
  /** The address that sends its settlements (anvil key 2). */
  readonly address: Address;
  /** Calls by path (`/verify`, `/settle`). */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

/** A facilitator HTTP service (`/verify`, `/settle`) running the x402 package's own code. */
export async function startFacilitator(rpcUrl: string): Promise<Facilitator> {
  const anvilSepolia = defineChain({ ...baseSepolia, rpcUrls: { default: { http: [rpcUrl] } } });
  const account = privateKeyToAccount(ANVIL_KEYS[2]);
  const wallet = createWalletClient({ account, chain: anvilSepolia, transport: http(rpcUrl) }).extend(
    publicActions,
  );
  const calls = new Map<string, number>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    calls.set(req.url ?? '', (calls.get(req.url ?? '') ?? 0) + 1);
    const { paymentPayload, paymentRequirements } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const result =
      req.url === '/settle'
        ? await settle(wallet as never, paymentPayload, paymentRequirements)
        : await verify(wallet as never, paymentPayload, paymentRequirements);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${portOf(server)}`,
    address: account.address,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** What the RPC proxy does with `eth_sendRawTransaction`. */
export type SendMode = 'pass' | 'refuse' | 'lose-answer';

export interface RpcProxy {
  readonly url: string;
  /** `refuse`: 503 without sending; `lose-answer`: sent to the chain, answered 503. */
  sends: SendMode;
  /** `eth_sendRawTransaction` requests that reached the proxy. */
  sendsSeen: number;
  /** When set, called on each `eth_sendRawTransaction`, which goes on once it resolves. */
  onSend: (() => Promise<void> | undefined) | undefined;
  close(): Promise<void>;
}

/**
 * An RPC proxy in front of anvil that can refuse transactions or lose their answers, as an RPC
 * outage between a Fulfill and its settlement would.
 */
export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const proxy = { sends: 'pass' as SendMode, sendsSeen: 0, onSend: undefined } as RpcProxy & { url: string };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const isSend = body.includes('eth_sendRawTransaction');
    if (isSend) {
      proxy.sendsSeen++;
      await proxy.onSend?.();
    }
    if (isSend && proxy.sends === 'refuse') {
      res.writeHead(503).end('down');
      return;
    }
    const upstream = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const text = await upstream.text();
    if (isSend && proxy.sends === 'lose-answer') {
      res.writeHead(503).end('down');
      return;
    }
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  proxy.url = `http://127.0.0.1:${port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
