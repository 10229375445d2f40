/** The set of BTPClients of a node, one per peer that has a URL. */
import { BTPClient, type BTPClientOptions } from './client.js';
import type { BtpTarget } from './peer-url.js';

export type BTPClientDefaults = Omit<BTPClientOptions, 'peerId' | 'target'>;

export class BTPClientManager {
  private readonly clients = new Map<string, BTPClient>();

  constructor(private readonly defaults: BTPClientDefaults) {}

  /** Creates and starts the client of `peerId`, replacing (and stopping) any previous one. */
  add(peerId: string, target: BtpTarget): BTPClient {
    void this.remove(peerId);
    const client = new BTPClient({ ...this.defaults, peerId, target });
    this.clients.set(peerId, client);
    client.start();
    return client;
  }

  get(peerId: string): BTPClient | undefined {
    return this.clients.get(peerId);
  }

  get size(): number {
    return this.clients.size;
  }

  async remove(peerId: string): Promise<void> {
    const client = this.clients.get(peerId);
    if (client === undefined) return;
    this.clients.delete(peerId);
    await client.stop();
  }

  async stopAll(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.stop()));
  }
}
