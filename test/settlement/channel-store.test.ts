/** The settlement state file: round trip, atomic replacement, strict reading. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ChannelStore,
  emptySettlementState,
  type OutgoingChannel,
  type SettlementState,
} from '../../src/settlement/index.js';

const CHANNEL: OutgoingChannel = {
  peerId: 'b',
  chainId: 8453,
  tokenNetwork: `0x${'11'.repeat(20)}`,
  channelId: `0x${'22'.repeat(32)}`,
  receiver: `0x${'33'.repeat(20)}`,
  deposit: 10n ** 30n,
  nonce: 3n,
  transferred: (1n << 127n) + 5n,
  ledgerDelta: 2n ** 64n,
  bookedNonce: 3n,
  signature: `0x${'44'.repeat(65)}`,
  status: 'open',
  settleableAt: 0n,
  acknowledgedNonce: 2n,
};

describe('ChannelStore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'channel-store-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts empty without a file, and creates its directory on the first save', async () => {
    const store = new ChannelStore(join(dir, 'new', 'state.json'));
    assert.deepEqual(await store.load(), emptySettlementState());
    await store.save(emptySettlementState());
    assert.deepEqual(await store.load(), emptySettlementState());
  });

  it('keeps amounts above 2^53 exactly', async () => {
    const store = new ChannelStore(join(dir, 'exact.json'));
    const state: SettlementState = { outgoing: [CHANNEL], incoming: [] };
    await store.save(state);
    assert.deepEqual(await new ChannelStore(store.path).load(), state);
  });

  it('applies saves in call order and leaves no temporary file', async () => {
    const store = new ChannelStore(join(dir, 'order.json'));
    const saves = [];
    for (let nonce = 1n; nonce <= 20n; nonce++)
      saves.push(store.save({ outgoing: [{ ...CHANNEL, nonce }], incoming: [] }));
    await Promise.all(saves);
    assert.equal((await store.load()).outgoing[0]?.nonce, 20n);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.includes('order')),
      ['order.json'],
    );
  });

  it('refuses a file that does not read, naming it, and never treats it as empty', async () => {
    const path = join(dir, 'bad.json');
    for (const text of [
      '{"version":1,"outgoing":[',
      '{"version":2,"outgoing":[],"incoming":[]}',
      '{"version":1,"outgoing":[{"peerId":"b"}],"incoming":[]}',
      JSON.stringify({
        version: 1,
        outgoing: [
          {
            ...JSON.parse(JSON.stringify(CHANNEL, (_k, v) => (typeof v === 'bigint' ? String(v) : v))),
            nonce: '-1',
          },
        ],
        incoming: [],
      }),
    ]) {
      await writeFile(path, text);
      await assert.rejects(new ChannelStore(path).load(), (err: Error) => {
        assert.match(err.message, /bad\.json is corrupt/);
        return true;
      });
    }
  });

  it('writes the file readable by the owner only', async () => {
    const store = new ChannelStore(join(dir, 'mode.json'));
    await store.save(emptySettlementState());
    const { stat } = await import('node:fs/promises');
    assert.equal((await stat(store.path)).mode & 0o077, 0);
    assert.match(await readFile(store.path, 'utf8'), /"version":1/);
  });
});
