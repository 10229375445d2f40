/** ilp-plugin-btp (npm, the reference BTP implementation) as a peer of our nodes in tests. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface BtpPlugin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  sendData(data: Buffer): Promise<Buffer>;
  registerDataHandler(handler: (data: Buffer) => Promise<Buffer>): void;
  deregisterDataHandler(): void;
}

type PluginCtor = new (opts: Record<string, unknown>) => BtpPlugin;
export const BtpPluginClass = require('ilp-plugin-btp') as PluginCtor;
export const IlpPacket = require('ilp-packet') as {
  serializeIlpPrepare(p: {
    amount: string;
    expiresAt: Date;
    executionCondition: Buffer;
    destination: string;
    data: Buffer;
  }): Buffer;
  serializeIlpFulfill(p: { fulfillment: Buffer; data: Buffer }): Buffer;
  serializeIlpReject(p: { code: string; triggeredBy: string; message: string; data: Buffer }): Buffer;
  deserializeIlpPacket(b: Buffer): { type: number; typeString: string; data: Record<string, unknown> };
  deserializeIlpReject(b: Buffer): { code: string; triggeredBy: string; message: string; data: Buffer };
  deserializeIlpFulfill(b: Buffer): { fulfillment: Buffer; data: Buffer };
  deserializeIlpPrepare(b: Buffer): {
    amount: string;
    expiresAt: Date;
    executionCondition: Buffer;
    destination: string;
    data: Buffer;
  };
};

/** A plugin dialing our node as `username` with `token`. */
export async function dialPlugin(port: number, username: string, token: string): Promise<BtpPlugin> {
  const plugin = new BtpPluginClass({ server: `btp+ws://${username}:${token}@127.0.0.1:${port}` });
  await plugin.connect();
  return plugin;
}
