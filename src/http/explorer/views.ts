/**
 * The JSON bodies of /api/peers, /api/balances and /api/channels, from what the node gives
 * (docs/explorer.md). Pure functions: amounts become decimal strings, absent limits null.
 */
import type { ChannelMetadata, PeerAccountBalance, RouteInfo } from '../../types/index.js';
import { blockExplorerUrl } from './chain-explorers.js';
import type { ExplorerPeer } from './explorer-node.js';

export interface BalanceJson {
  debit: string;
  credit: string;
  net: string;
  pendingDebit: string;
  pendingCredit: string;
}

export function balanceJson(b: PeerAccountBalance | undefined): BalanceJson {
  if (b === undefined) return { debit: '0', credit: '0', net: '0', pendingDebit: '0', pendingCredit: '0' };
  return {
    debit: b.debitBalance.toString(),
    credit: b.creditBalance.toString(),
    net: b.netBalance.toString(),
    pendingDebit: b.pendingDebit.toString(),
    pendingCredit: b.pendingCredit.toString(),
  };
}

export function peersJson(peers: ExplorerPeer[], routes: RouteInfo[], balances: PeerAccountBalance[]) {
  const balanceOf = new Map(balances.map((b) => [b.peerId, b]));
  const routesOf = new Map<string, string[]>();
  // Learned routes (CCP) are counted, not listed: a neighbour may teach us 100k of them.
  const learnedOf = new Map<string, number>();
  for (const r of routes) {
    if (r.origin === 'learned') {
      learnedOf.set(r.nextHop, (learnedOf.get(r.nextHop) ?? 0) + 1);
      continue;
    }
    const list = routesOf.get(r.nextHop);
    if (list === undefined) routesOf.set(r.nextHop, [r.prefix]);
    else list.push(r.prefix);
  }
  return {
    peers: peers.map((p) => ({
      id: p.id,
      relation: p.relation,
      connected: p.connected,
      ...(p.url === undefined ? {} : { url: p.url }),
      balance: balanceJson(balanceOf.get(p.id)),
      maximum: p.maximum?.toString() ?? null,
      settleThreshold: p.settleThreshold?.toString() ?? null,
      routes: routesOf.get(p.id) ?? [],
      ...(learnedOf.has(p.id) ? { learnedRoutes: learnedOf.get(p.id) } : {}),
    })),
  };
}

export function balancesJson(balances: PeerAccountBalance[]) {
  return { balances: balances.map((b) => ({ peerId: b.peerId, ...balanceJson(b) })) };
}

export function channelsJson(channels: ChannelMetadata[]) {
  return {
    channels: channels.map((c) => {
      const explorerUrl = blockExplorerUrl(c.chainId);
      return explorerUrl === undefined ? { ...c } : { ...c, explorerUrl };
    }),
  };
}
