/**
 * ilp-protocol-stream 2.7.1 and ilp-plugin-btp (npm, CommonJS; dev dependencies) loaded when the
 * demo runs, as the payment endpoints at the edges of the demo network. Node >= 18 needs the
 * workaround of DESIGN §11: the package's DataAndMoneyStream assigns `this.closed`, a getter on
 * Node's Readable; an accessor on its prototype, backed by a symbol, shadows it.
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface BtpPlugin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface MoneyStream extends EventEmitter {
  setReceiveMax(limit: string): void;
  sendTotal(limit: string, opts?: { timeout?: number }): Promise<void>;
}

export interface StreamConnection extends EventEmitter {
  readonly connectionTag?: string;
  readonly totalDelivered: string;
  createStream(): MoneyStream;
  end(): Promise<void>;
  destroy(err?: Error): Promise<void>;
}

export interface StreamServer extends EventEmitter {
  generateAddressAndSecret(connectionTag?: string): { destinationAccount: string; sharedSecret: Buffer };
  close(): Promise<void>;
}

export interface StreamLibs {
  createPlugin(server: string): BtpPlugin;
  createServer(opts: { plugin: BtpPlugin; disconnectDelay?: number }): Promise<StreamServer>;
  createConnection(opts: {
    plugin: BtpPlugin;
    destinationAccount: string;
    sharedSecret: Buffer;
    slippage?: number;
  }): Promise<StreamConnection>;
}

const CLOSED = Symbol('closed');

export function loadStreamLibs(): StreamLibs {
  let stream: Pick<StreamLibs, 'createServer' | 'createConnection'>;
  let Plugin: new (opts: { server: string }) => BtpPlugin;
  try {
    const { DataAndMoneyStream } = require('ilp-protocol-stream/dist/src/stream.js') as {
      DataAndMoneyStream: { prototype: object };
    };
    if (Object.getOwnPropertyDescriptor(DataAndMoneyStream.prototype, 'closed') === undefined) {
      Object.defineProperty(DataAndMoneyStream.prototype, 'closed', {
        configurable: true,
        get(this: Record<symbol, boolean | undefined>) {
          return this[CLOSED] === true;
        },
        set(this: Record<symbol, boolean>, value: boolean) {
          this[CLOSED] = value;
        },
      });
    }
    stream = require('ilp-protocol-stream');
    Plugin = require('ilp-plugin-btp');
  } catch {
    throw new Error(
      'the demo pays with ilp-protocol-stream and ilp-plugin-btp (dev dependencies): run `npm install` in a checkout',
    );
  }
  return {
    createPlugin: (server) => new Plugin({ server }),
    createServer: (opts) => stream.createServer(opts),
    createConnection: (opts) => stream.createConnection(opts),
  };
}
