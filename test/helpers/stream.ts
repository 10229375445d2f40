/**
 * ilp-protocol-stream 2.7.1 (npm, CommonJS) for interop tests, with the Node >= 18 workaround of
 * DESIGN §11: its DataAndMoneyStream assigns `this.closed`, which Node's Readable defines as a
 * getter only. An own accessor on the package's prototype, backed by a private symbol, shadows it.
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { BtpPlugin } from './plugins.js';

const require = createRequire(import.meta.url);

export interface StreamMoneyStream extends EventEmitter {
  readonly id: number;
  readonly totalSent: string;
  readonly totalReceived: string;
  setSendMax(limit: number | string): void;
  setReceiveMax(limit: number | string): void;
  sendTotal(limit: number | string, opts?: { timeout?: number }): Promise<void>;
  on(event: 'money', listener: (amount: string) => void): this;
}

export interface StreamConnection extends EventEmitter {
  readonly connectionTag?: string;
  readonly sourceAccount: string;
  readonly destinationAccount: string | undefined;
  readonly totalSent: string;
  readonly totalReceived: string;
  readonly totalDelivered: string;
  readonly lastPacketExchangeRate: string;
  readonly minimumAcceptableExchangeRate: string;
  createStream(): StreamMoneyStream;
  end(): Promise<void>;
  destroy(err?: Error): Promise<void>;
  on(event: 'stream', listener: (stream: StreamMoneyStream) => void): this;
}

export interface StreamServer extends EventEmitter {
  generateAddressAndSecret(connectionTag?: string): { destinationAccount: string; sharedSecret: Buffer };
  close(): Promise<void>;
  readonly assetCode: string;
  readonly assetScale: number;
  on(event: 'connection', listener: (connection: StreamConnection) => void): this;
}

interface StreamModule {
  createServer(opts: {
    plugin: BtpPlugin;
    serverSecret?: Buffer;
    disconnectDelay?: number;
  }): Promise<StreamServer>;
  createConnection(opts: {
    plugin: BtpPlugin;
    destinationAccount: string;
    sharedSecret: Buffer;
    slippage?: number;
    idleTimeout?: number;
  }): Promise<StreamConnection>;
}

const CLOSED = Symbol('closed');

/** Applies the `closed` accessor once; idempotent. */
function patchClosedAccessor(): void {
  // The class lives in dist/src/stream.js; require it by path (the package has no exports map).
  const { DataAndMoneyStream } = require('ilp-protocol-stream/dist/src/stream.js') as {
    DataAndMoneyStream: { prototype: object };
  };
  const proto = DataAndMoneyStream.prototype;
  if (Object.getOwnPropertyDescriptor(proto, 'closed') !== undefined) return;
  Object.defineProperty(proto, 'closed', {
    configurable: true,
    enumerable: false,
    get(this: Record<symbol, boolean | undefined>): boolean {
      return this[CLOSED] === true;
    },
    set(this: Record<symbol, boolean>, value: boolean) {
      this[CLOSED] = value;
    },
  });
}

patchClosedAccessor();

export const IlpStream = require('ilp-protocol-stream') as StreamModule;
