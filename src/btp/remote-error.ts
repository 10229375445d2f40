import type { BtpError, ProtocolData } from '../codec/btp.js';
import { ConnectorError } from '../utils/errors.js';

/**
 * A BTP Error (RFC 23, type 2). The peer answered our request with it; or a request handler
 * throws it to answer with that code, name and data.
 */
export class BtpRemoteError extends ConnectorError {
  readonly btpCode: string;
  readonly btpName: string;
  readonly btpData: string;
  readonly btpTriggeredAt: Date;
  readonly btpProtocolData: ProtocolData[];

  constructor(
    btpCode: string,
    btpName: string,
    btpData = '',
    options: { triggeredAt?: Date; protocolData?: ProtocolData[] } = {},
  ) {
    super('ERR_BTP_REMOTE', `BTP Error ${btpCode} ${btpName}${btpData === '' ? '' : `: ${btpData}`}`);
    this.btpCode = btpCode;
    this.btpName = btpName;
    this.btpData = btpData;
    this.btpTriggeredAt = options.triggeredAt ?? new Date();
    this.btpProtocolData = options.protocolData ?? [];
  }

  static fromPacket(packet: BtpError): BtpRemoteError {
    return new BtpRemoteError(packet.code, packet.name, packet.data, {
      triggeredAt: packet.triggeredAt,
      protocolData: packet.protocolData,
    });
  }
}
