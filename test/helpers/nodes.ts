/** Test helpers: nodes on ephemeral ports, waiting on events (never on fixed sleeps). */
import { createHash, randomBytes } from 'node:crypto';
import { type ConnectorConfig, ConnectorNode } from '../../src/index.js';
import { silentLogger } from '../../src/utils/logger.js';

/**
 * Test nodes keep their books in memory (no files) unless a test asks for a durable ledger, and
 * run no Explorer (its port and store file) unless a test turns it on.
 */
export function baseConfig(nodeId: string, extra: Partial<ConnectorConfig> = {}): ConnectorConfig {
  return {
    nodeId,
    btpServerPort: 0,
    healthCheckPort: 0,
    environment: 'development',
    peers: [],
    routes: [],
    settlement: { ledgerDurability: 'off' },
    explorer: { enabled: false },
    ...extra,
  };
}

export function makeNode(
  config: ConnectorConfig,
  env: Record<string, string | undefined> = {},
): ConnectorNode {
  return new ConnectorNode(config, silentLogger(), { env });
}

export function waitConnected(node: ConnectorNode, peerId: string): Promise<void> {
  if (node.isConnected(peerId)) return Promise.resolve();
  return new Promise((resolve) => {
    const onUp = (id: string) => {
      if (id !== peerId) return;
      node.off('peer:connected', onUp);
      resolve();
    };
    node.on('peer:connected', onUp);
  });
}

export function waitDisconnected(node: ConnectorNode, peerId: string): Promise<void> {
  if (!node.isConnected(peerId)) return Promise.resolve();
  return new Promise((resolve) => {
    const onDown = (id: string) => {
      if (id !== peerId || node.isConnected(peerId)) return;
      node.off('peer:disconnected', onDown);
      resolve();
    };
    node.on('peer:disconnected', onDown);
  });
}

/** A condition/fulfillment pair: random preimage (a real hash-lock). */
export function hashLock(): { fulfillment: Buffer; condition: Buffer } {
  const fulfillment = randomBytes(32);
  return { fulfillment, condition: createHash('sha256').update(fulfillment).digest() };
}

/** The spec's data-derived scheme: fulfillment = sha256(data), condition = sha256(fulfillment). */
export function dataLock(data: Buffer): Buffer {
  return createHash('sha256').update(dataFulfillment(data)).digest();
}

/** The fulfillment of a Prepare locked by dataLock: sha256(data). */
export function dataFulfillment(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Sends `text` as the data of a Prepare locked by the data-derived scheme (dataLock). */
export function sendData(
  node: ConnectorNode,
  destination: string,
  amount: bigint,
  text: string,
  timeoutMs = 10_000,
): ReturnType<ConnectorNode['sendPacket']> {
  const data = Buffer.from(text);
  return node.sendPacket({
    destination,
    amount,
    executionCondition: dataLock(data),
    expiresAt: new Date(Date.now() + timeoutMs),
    data,
  });
}

export function btpUrl(node: ConnectorNode): string {
  return `ws://127.0.0.1:${node.btpPort}`;
}
