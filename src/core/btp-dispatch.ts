/**
 * Who answers an incoming BTP request (RFC 23 §2.3): the first protocolData entry whose name
 * one of the node's sub-protocols serves decides, in the order the peer sent them. A request
 * naming none of them gets an empty Response.
 */
import type { BtpMessage, BtpTransfer, ProtocolData } from '../codec/index.js';

export type SubProtocolHandler = (
  peerId: string,
  data: Uint8Array,
) => Promise<ProtocolData[]> | ProtocolData[];

export interface SubProtocol {
  /** The protocolName on the wire (`ilp`, `payment-channel-claim`, ...). */
  readonly name: string;
  readonly handle: SubProtocolHandler;
}

export type BtpDispatch = (
  peerId: string,
  packet: BtpMessage | BtpTransfer,
) => Promise<ProtocolData[]> | ProtocolData[];

/** Not async: the reply is one continuation of the handler's promise, not an async frame. */
export function createBtpDispatch(protocols: readonly SubProtocol[]): BtpDispatch {
  const byName = new Map<string, SubProtocolHandler>();
  for (const p of protocols) {
    if (byName.has(p.name)) throw new Error(`BTP sub-protocol ${p.name} is served twice`);
    byName.set(p.name, p.handle);
  }
  return (peerId, packet) => {
    for (const entry of packet.protocolData) {
      const handle = byName.get(entry.protocolName);
      if (handle !== undefined) return handle(peerId, entry.data);
    }
    return [];
  };
}
