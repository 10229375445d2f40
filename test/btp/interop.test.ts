/** Wire interop with ilp-plugin-btp 1.5 (npm), the reference BTP implementation, both ways. */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { captureLogger, hasCode, linkUp, logged, startManager } from './helpers.js';

const require = createRequire(import.meta.url);

interface Plugin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  sendData(data: Buffer): Promise<Buffer>;
  registerDataHandler(handler: (data: Buffer) => Promise<Buffer>): void;
}
const Plugin = require('ilp-plugin-btp') as new (opts: Record<string, unknown>) => Plugin;

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** ilp-plugin-btp's listener takes a fixed port: ask the OS for a free one. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(typeof address === 'object' && address !== null);
  return address.port;
}

describe('ilp-plugin-btp interop', { timeout: 15_000 }, () => {
  it('an ilp-plugin-btp client dials our server and exchanges data both ways', async () => {
    const ours = await startManager({
      nodeId: 'connector',
      onRequest: (peerId, packet) => {
        const ilp = packet.protocolData.find((p) => p.protocolName === 'ilp');
        assert.ok(ilp, 'plugin sends protocolData ilp');
        return [
          {
            protocolName: 'ilp',
            contentType: 0,
            data: utf8.encode(`${peerId} sent ${text.decode(ilp.data)}`),
          },
        ];
      },
    });
    ours.addPeer({ id: 'alice', authToken: 'alice-token' });
    const up = linkUp(ours, 'alice');
    const plugin = new Plugin({ server: `btp+ws://alice:alice-token@127.0.0.1:${ours.port}` });
    plugin.registerDataHandler(async (data) => Buffer.from(`plugin got ${data.toString()}`));
    try {
      await plugin.connect();
      await up;
      const answer = await plugin.sendData(Buffer.from('prepare-1'));
      assert.equal(answer.toString(), 'alice sent prepare-1');
      const back = await ours.sendIlp('alice', utf8.encode('prepare-2'));
      assert.equal(text.decode(back), 'plugin got prepare-2');
    } finally {
      await plugin.disconnect();
      await ours.stop();
    }
  });

  it('our LinkManager dials an ilp-plugin-btp server and exchanges data both ways', async () => {
    const port = await freePort();
    const plugin = new Plugin({ listener: { port, secret: 'shared-secret' } });
    plugin.registerDataHandler(async (data) => Buffer.from(`server got ${data.toString()}`));
    const pluginUp = plugin.connect();
    const ours = await startManager({ nodeId: 'connector' });
    ours.addPeer({ id: 'upstream', url: `ws://127.0.0.1:${port}`, authToken: 'shared-secret' });
    try {
      await Promise.all([linkUp(ours, 'upstream'), pluginUp]);
      const back = await ours.sendIlp('upstream', utf8.encode('prepare-3'));
      assert.equal(text.decode(back), 'server got prepare-3');
      const answer = await plugin.sendData(Buffer.from('prepare-4'));
      assert.equal(answer.toString(), 'upstream>prepare-4');
    } finally {
      await ours.stop();
      await plugin.disconnect();
    }
  });

  it('an ilp-plugin-btp server refuses a wrong token: we log it, retry, and the link stays down', async () => {
    const port = await freePort();
    const plugin = new Plugin({ listener: { port, secret: 'right' } });
    void plugin.connect().catch(() => undefined);
    const { logger, records } = captureLogger();
    const ours = await startManager({ nodeId: 'connector', logger });
    let ups = 0;
    ours.on('link-up', () => ups++);
    const refusedTwice = logged(records, (r) => String(r.err).includes('auth: BTP Error F00'), 2);
    ours.addPeer({ id: 'upstream', url: `btp+ws://me:wrong@127.0.0.1:${port}`, authToken: 'ignored' });
    try {
      await refusedTwice;
      assert.equal(ups, 0);
      await assert.rejects(ours.request('upstream', []), hasCode('ERR_BTP_CLOSED'));
    } finally {
      await ours.stop();
      await plugin.disconnect();
    }
  });
});
