/**
 * `connector channels ...` as an operator runs it, against two nodes settling on anvil: each
 * command is a child process calling the payer's or the payee's admin API; the chain is read
 * independently through viem after each one. Refusals (no key, unknown channel, wrong state, bad
 * amount) are one line on stderr and exit 1, with nothing moved on chain.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Address, createPublicClient, Hex } from 'viem';
import type { ChannelMetadata, ConnectorNode } from '../../src/index.js';
import { type TokenNetworkClient, testTokenAbi } from '../../src/settlement/index.js';
import { sendData } from '../helpers/nodes.js';
import { type AdminPair, PAIR_KEY_A, PAIR_KEY_B, startAdminPair } from '../settlement/admin-pair.js';
import { addressOf, FACTOR, type TestChain } from '../settlement/chain-fixture.js';

const BIN = join(process.cwd(), 'bin', 'connector.js');
const API_KEY = 'cli-admin-key';
const ADMIN = { enabled: true, port: 0, host: '127.0.0.1', apiKey: API_KEY } as const;
const KEY_A = PAIR_KEY_A;
const KEY_B = PAIR_KEY_B;
const SINK: Address = '0x000000000000000000000000000000000000bEEF';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI in its own process (async: the nodes answering it run in this one). */
async function cli(
  node: ConnectorNode,
  args: string[],
  env: Record<string, string> = { ADMIN_API_KEY: API_KEY },
) {
  const child = spawn(
    process.execPath,
    [BIN, 'channels', ...args, '--url', `http://127.0.0.1:${node.adminPort}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', ...env },
    },
  );
  const run: Run = { status: null, stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => {
    run.stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    run.stderr += c.toString();
  });
  [run.status] = (await once(child, 'exit')) as [number | null];
  return run;
}

function ok(run: Run): unknown {
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

function refused(run: Run, command: string, pattern: RegExp): void {
  assert.equal(run.status, 1, run.stdout);
  assert.equal(run.stdout, '');
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, new RegExp(`^connector channels ${command}: `));
  assert.match(lines[0]!, pattern);
}

describe('connector channels', { timeout: 180_000 }, () => {
  let chain: TestChain;
  let a: ConnectorNode;
  let b: ConnectorNode;
  let reader: TokenNetworkClient;
  let viem: ReturnType<typeof createPublicClient>;
  let channelId: Hex;
  const addrA = addressOf(KEY_A);
  const addrB = addressOf(KEY_B);

  const tokens = (owner: Address) =>
    viem.readContract({ address: chain.token, abi: testTokenAbi, functionName: 'balanceOf', args: [owner] });

  let pair: AdminPair;

  before(async () => {
    pair = await startAdminPair(ADMIN, 'cli-channels-');
    ({ chain, a, b, reader, viem } = pair);
  });

  after(() => pair?.stop());

  it('list: no channels yet; without the key: 401 in one line', async () => {
    const run = await cli(a, ['list']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'no channels');
    refused(await cli(a, ['list'], {}), 'list', /^connector channels list: 401 /);
    refused(await cli(a, ['list', '--api-key', 'wrong'], {}), 'list', /401/);
  });

  it('open, then topup: the deposit on chain is what the commands say', async () => {
    const opened = ok(await cli(a, ['open', 'b', (4_000n * FACTOR).toString()])) as ChannelMetadata;
    channelId = opened.channelId as Hex;
    assert.equal(opened.status, 'open');
    assert.equal((await reader.getChannel(channelId))?.deposit, 4_000n * FACTOR);
    const topped = ok(await cli(a, ['topup', channelId, (1_000n * FACTOR).toString()])) as ChannelMetadata;
    assert.equal(topped.deposit, (5_000n * FACTOR).toString());
    assert.equal((await reader.getChannel(channelId))?.deposit, 5_000n * FACTOR);

    const table = await cli(a, ['list']);
    assert.equal(table.status, 0, table.stderr);
    const [header, row] = table.stdout.trim().split('\n');
    assert.match(header!, /^CHANNEL\s+PEER\s+DIRECTION\s+STATUS\s+CHAIN\s+DEPOSIT\s+TRANSFERRED$/);
    assert.deepEqual(row!.split(/\s+/), [
      channelId,
      'b',
      'outgoing',
      'open',
      'base',
      (5_000n * FACTOR).toString(),
      '0',
    ]);
    assert.deepEqual(ok(await cli(a, ['list', '--json'])), { channels: [topped] });
    assert.deepEqual(ok(await cli(a, ['show', channelId])), topped);
  });

  it('refusals: unknown channel 404, bad amount 400; nothing moves', async () => {
    refused(
      await cli(a, ['show', `0x${'12'.repeat(32)}`]),
      'show',
      /^connector channels show: 404 no channel/,
    );
    refused(await cli(a, ['topup', channelId, '-5']), 'topup', /: 400 /);
    refused(await cli(a, ['topup', channelId, 'lots']), 'topup', /: 400 /);
    refused(await cli(a, ['open', 'nobody', '1']), 'open', /: 404 /);
    assert.equal((await reader.getChannel(channelId))?.deposit, 5_000n * FACTOR);
  });

  it('settle: the payer claims what it owes, the payee redeems it on chain; the payee cannot top up (409)', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await sendData(a, 'g.b.x', 100n, `cli-${i}`)).type, 13);
    const sent = ok(await cli(a, ['settle', channelId])) as { claimSent: boolean; channel: ChannelMetadata };
    assert.equal(sent.claimSent, true);
    assert.equal(sent.channel.transferred, (400n * FACTOR).toString());
    const before = await tokens(addrB);
    const redeemed = ok(await cli(b, ['settle', channelId])) as { channel: ChannelMetadata };
    assert.equal(redeemed.channel.redeemed, (400n * FACTOR).toString());
    assert.equal((await reader.getChannel(channelId))?.redeemed, 400n * FACTOR);
    assert.equal((await tokens(addrB)) - before, 400n * FACTOR);
    refused(await cli(b, ['topup', channelId, '1']), 'topup', /: 409 .*sender deposits/);
    assert.equal((await reader.getChannel(channelId))?.deposit, 5_000n * FACTOR);
  });

  it('close: cooperative by default, settled at once; again is 409', async () => {
    const before = await tokens(addrA);
    const closed = ok(await cli(a, ['close', channelId])) as ChannelMetadata;
    assert.equal(closed.status, 'settled');
    assert.equal(await reader.getChannel(channelId), undefined);
    assert.equal((await tokens(addrA)) - before, 4_600n * FACTOR);
    refused(await cli(a, ['close', channelId]), 'close', /: 409 .*settled/);
    refused(await cli(a, ['settle', channelId]), 'settle', /: 409 .*settled/);
  });

  it('close --unilateral starts the challenge period on chain', async () => {
    const opened = ok(await cli(a, ['open', 'b', (1_000n * FACTOR).toString()])) as ChannelMetadata;
    const closing = ok(await cli(a, ['close', opened.channelId, '--unilateral'])) as ChannelMetadata;
    assert.equal(closing.status, 'closing');
    const onChain = await reader.getChannel(opened.channelId as Hex);
    assert.equal(onChain?.status, 'closing');
    assert.equal(closing.settleableAt, String(onChain?.settleableAt));
    refused(await cli(a, ['settle', opened.channelId]), 'settle', /: 409 .*challenge period/);
  });

  it('wallet and withdraw: balances as on chain; tokens leave the wallet; too much is 409', async () => {
    const wallet = ok(await cli(b, ['wallet'])) as { balances: { tokenBalance: string; address: string }[] };
    assert.equal(wallet.balances[0]?.address, addrB);
    assert.equal(wallet.balances[0]?.tokenBalance, (await tokens(addrB)).toString());
    const before = await tokens(addrB);
    const res = ok(await cli(b, ['withdraw', SINK, '777'])) as { txHash: Hex; tokenBalance: string };
    assert.equal(await tokens(SINK), 777n);
    assert.equal(await tokens(addrB), before - 777n);
    assert.equal(res.tokenBalance, (before - 777n).toString());
    assert.equal((await viem.getTransactionReceipt({ hash: res.txHash })).status, 'success');
    refused(await cli(b, ['withdraw', SINK, before.toString()]), 'withdraw', /: 409 .*holds/);
    refused(await cli(b, ['withdraw', 'nowhere', '1']), 'withdraw', /: 400 /);
    refused(await cli(b, ['withdraw', SINK, '1', '--chain', 'mars']), 'withdraw', /: 400 .*mars/);
    assert.equal(await tokens(SINK), 777n);
  });
});
