/**
 * The x402 gateway of a node in `mode: gateway` (gateway/, docs/gateway.md): built with the
 * node's signer (KMS too) and the node's own packet path, so a paid request is sent as if by
 * `sendPacket`, and its store kept in the node's data dir (beside the ledger snapshot).
 */
import { encodePrepare } from '../codec/index.js';
import type { ResolvedConfig } from '../config/index.js';
import { X402Gateway } from '../gateway/index.js';
import type { EventRecorder } from '../http/index.js';
import type { Logger } from '../utils/logger.js';
import { dataDirOf } from './ledger-choice.js';
import type { LocalDelivery } from './local-delivery.js';
import type { NodeWallet } from './node-wallet.js';
import type { PacketHandler } from './packet-handler.js';
import { createPaymentHandlerAdapter } from './payment-handler.js';

/** The address segment under the node's own where ILP senders reach x402 servers. */
export const X402_SEGMENT = 'x402';

/**
 * The ledger account of the gateway's x402 network: inbound paid requests are booked from it to
 * the next hop (the tokens come in on chain), outbound ones from the sender's peer account to it
 * (the tokens go out on chain). Its balance is the ILP value the gateway moved between x402 and
 * Interledger on that network.
 */
export function x402Account(network: string): string {
  return `x402:${network}`;
}

/** Packets to `<node>.x402` go to the gateway's outbound side once it has started. */
export function serveOutbound(gateway: X402Gateway, local: LocalDelivery, logger: Logger): void {
  const outbound = gateway.outbound;
  if (outbound === undefined) return;
  local.setService(
    X402_SEGMENT,
    createPaymentHandlerAdapter((request) => outbound.handle(request), logger),
    x402Account(gateway.network),
  );
}

export function createGateway(
  config: ResolvedConfig,
  packets: PacketHandler,
  events: EventRecorder | undefined,
  logger: Logger,
  wallet: NodeWallet,
): X402Gateway | undefined {
  if (config.mode !== 'gateway' || config.gateway === undefined) return undefined;
  const account = x402Account(config.gateway.network);
  return new X402Gateway({
    config: config.gateway,
    assetScale: config.asset.scale,
    dataDir: dataDirOf(config),
    chainClients: () => wallet.clients(),
    send: (p) => {
      const prepare = { type: 12 as const, ...p };
      return packets.handle(undefined, encodePrepare(prepare), prepare, account);
    },
    logger,
    onEvent: events && ((event) => events.event(event)),
  });
}
