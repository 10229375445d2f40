/**
 * The settlement counters in the state file: the Reporter's counts go into every save of the
 * ChannelBook and a new engine goes on from them; channels opened and settled are read from the
 * channels, pruned ones included; a file whose counts do not read is refused like any corrupt one.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChainError } from '../../src/settlement/chain/errors.js';
import { ChannelBook } from '../../src/settlement/channels/channel-book.js';
import { ChannelStore, type OutgoingChannel } from '../../src/settlement/channels/channel-store.js';
import { Lifecycle } from '../../src/settlement/engine/lifecycle.js';
import { Reporter } from '../../src/settlement/engine/reporter.js';
import { silentLogger } from '../../src/utils/logger.js';

/** A reporter and a book over `path`, wired as the engine's context wires them, loaded and seeded. */
async function engineState(path: string): Promise<{ reporter: Reporter; book: ChannelBook }> {
  const reporter = new Reporter(silentLogger(), undefined, new Lifecycle());
  const book = new ChannelBook(new ChannelStore(path), () => reporter.saved());
  await book.load();
  reporter.seed(book.savedCounts());
  return { reporter, book };
}

function outgoing(i: number, status: OutgoingChannel['status']): OutgoingChannel {
  return {
    peerId: 'b',
    chainId: 8453,
    tokenNetwork: `0x${'11'.repeat(20)}`,
    channelId: `0x${i.toString(16).padStart(64, '0')}`,
    receiver: `0x${'33'.repeat(20)}`,
    deposit: 100n,
    nonce: 1n,
    transferred: 10n,
    ledgerDelta: 10n,
    bookedNonce: 1n,
    signature: undefined,
    status,
    settleableAt: 0n,
    acknowledgedNonce: 1n,
  };
}

describe('settlement counters saved with the channels', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'saved-counts-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a new engine goes on from the counts of the last save', async () => {
    const path = join(dir, 'counts.json');
    const first = await engineState(path);
    const r = first.reporter;
    r.countClaimSent();
    r.countClaimSent();
    r.countClaimAcknowledged();
    r.countClaimRejectedByPeer();
    r.countClaimReceived();
    r.countClaimRefused('stale-nonce');
    r.countClaimRefused('unknown-peer');
    r.countClaimRefused('stale-nonce');
    r.countRedemption();
    r.countChainError(new ChainError('rpc', 'redeem', 'down'));
    r.countChainError(new Error('not a chain error: not counted'));
    assert.equal(r.unsaved, true);
    await first.book.save();
    assert.equal(r.unsaved, false, 'the save took the counts');

    const second = await engineState(path);
    assert.deepEqual(second.reporter.stats, r.stats);
    assert.deepEqual(
      second.reporter.stats.claimsRefused,
      new Map([
        ['stale-nonce', 2],
        ['unknown-peer', 1],
      ]),
    );
    second.reporter.countClaimSent();
    assert.equal(second.reporter.stats.claimsSent, 3, 'counting goes on from the saved count');
  });

  it('a count after the last save is unsaved (the engine saves it at its watch pass or stop)', async () => {
    const path = join(dir, 'unsaved.json');
    const first = await engineState(path);
    first.reporter.countClaimSent();
    await first.book.save();
    first.reporter.countClaimRefused('wrong-signer');
    assert.equal(first.reporter.unsaved, true);
    // A kill now: the next start has the claim, not the refusal.
    const second = await engineState(path);
    assert.equal(second.reporter.stats.claimsSent, 1);
    assert.equal(second.reporter.stats.claimsRefused.size, 0);
  });

  it('a file without counts (written before they were saved) starts them at 0', async () => {
    const path = join(dir, 'old.json');
    await writeFile(path, JSON.stringify({ version: 1, outgoing: [], incoming: [] }));
    const { reporter } = await engineState(path);
    assert.equal(reporter.stats.claimsSent, 0);
    assert.equal(reporter.unsaved, false);
  });

  it('channels opened and settled count the settled channels pruned from the file', async () => {
    const path = join(dir, 'pruned.json');
    const { book } = await engineState(path);
    for (let i = 1; i <= 130; i++) book.addOutgoing(outgoing(i, i <= 120 ? 'settled' : 'open'));
    const counts = { outgoing: { opened: 130, settled: 120 }, incoming: { opened: 0, settled: 0 } };
    assert.deepEqual(book.channelCounts(), counts);
    await book.save();
    assert.equal(book.outgoing.length, 110, '20 settled channels left the file');
    assert.deepEqual(book.channelCounts(), counts);
    assert.deepEqual((await engineState(path)).book.channelCounts(), counts);
  });

  it('refuses counts that are not counts, as a corrupt file', async () => {
    const path = join(dir, 'bad.json');
    for (const counts of [
      [],
      { claimsSent: -1 },
      { claimsSent: 1.5 },
      { claimsSent: '3' },
      { claimsRefused: { 'stale-nonce': -2 } },
      { claimsRefused: [1] },
    ]) {
      await writeFile(path, JSON.stringify({ version: 1, outgoing: [], incoming: [], counts }));
      await assert.rejects(new ChannelStore(path).load(), /bad\.json is corrupt/, JSON.stringify(counts));
    }
    await writeFile(
      path,
      JSON.stringify({ version: 1, outgoing: [], incoming: [], pruned: pruned({ outgoingChannels: -1 }) }),
    );
    await assert.rejects(new ChannelStore(path).load(), /pruned\.outgoingChannels/);
  });
});

function pruned(extra: Record<string, unknown>): Record<string, unknown> {
  return { tokensSent: '0', tokensReceived: '0', tokensRedeemed: '0', ...extra };
}
