/**
 * The gateway's routes, resolved once at start: the ILP amount of each (the price moved from
 * the token's decimals to the node's asset scale, exactly, unless configured), and the x402
 * payment requirements a 402 answer lists.
 */
import type { Address } from 'viem';
import type { ResolvedGatewayConfig } from '../config/index.js';
import { ConfigurationError } from '../utils/errors.js';
import type { TokenDomain } from './verify.js';
import { EXACT_SCHEME, type PaymentRequirements } from './x402.js';

export interface GatewayRoute {
  readonly path: string;
  readonly destination: string;
  /** Token base units per request. */
  readonly price: bigint;
  /** ILP amount of the Prepare. */
  readonly amount: bigint;
  readonly maxTimeoutSeconds: number;
  readonly description: string;
  readonly mimeType: string;
}

export function resolveRoutes(
  config: ResolvedGatewayConfig,
  assetScale: number,
  decimals: number,
): GatewayRoute[] {
  return config.routes.map((r, i) => {
    let amount = r.amount;
    if (amount === undefined) {
      amount = scaleExactly(r.price, decimals, assetScale);
      if (amount === undefined)
        throw new ConfigurationError([
          {
            path: `gateway.routes.${i}.price`,
            message: `${r.price} token base units (${decimals} decimals) is no whole ILP amount at scale ${assetScale}: set gateway.routes.${i}.amount`,
          },
        ]);
    }
    return { ...r, amount };
  });
}

/** `value` at `from` decimals expressed at `to` decimals, or undefined when that loses a remainder. */
export function scaleExactly(value: bigint, from: number, to: number): bigint | undefined {
  if (to >= from) return value * 10n ** BigInt(to - from);
  const divisor = 10n ** BigInt(from - to);
  return value % divisor === 0n ? value / divisor : undefined;
}

/** The route serving `path`: the longest configured prefix on `/` boundaries. */
export function matchRoute(routes: readonly GatewayRoute[], path: string): GatewayRoute | undefined {
  let best: GatewayRoute | undefined;
  for (const route of routes) {
    const p = route.path.endsWith('/') ? route.path.slice(0, -1) : route.path;
    const under = path === p || path.startsWith(`${p}/`) || p === '';
    if (under && (best === undefined || route.path.length > best.path.length)) best = route;
  }
  return best;
}

export function requirementsOf(
  route: GatewayRoute,
  resource: string,
  network: string,
  payTo: Address,
  domain: TokenDomain,
): PaymentRequirements {
  return {
    scheme: EXACT_SCHEME,
    network,
    maxAmountRequired: route.price.toString(),
    resource,
    description: route.description,
    mimeType: route.mimeType,
    payTo,
    maxTimeoutSeconds: route.maxTimeoutSeconds,
    asset: domain.verifyingContract,
    extra: { name: domain.name, version: domain.version },
  };
}
