/**
 * `connector contracts fund` as an operator runs it (the binary, its own process): on anvil
 * (31337) it mints test tokens and sends ETH to an address, checked through viem; on a chain id
 * it does not know to be a test chain (anvil serving Base's 8453) it refuses and sends nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Address, createPublicClient, getAddress, http, parseEther } from 'viem';
import { EnvKeySigner } from '../../src/keys/index.js';
import { deployContracts, testTokenAbi } from '../../src/settlement/index.js';
import { ANVIL_KEYS, type Anvil, startAnvil } from '../settlement/anvil.js';

const BIN = join(process.cwd(), 'bin', 'connector.js');
const FUNDED: Address = getAddress('0x00000000000000000000000000000000000f0dd5');

async function fund(args: string[], env: Record<string, string> = { EVM_PRIVATE_KEY: ANVIL_KEYS[0] }) {
  const child = spawn(process.execPath, [BIN, 'contracts', 'fund', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const [status] = (await once(child, 'exit')) as [number | null];
  return { status, stdout, stderr };
}

describe('connector contracts fund', { timeout: 90_000 }, () => {
  let dev: Anvil;
  let base: Anvil;
  let token: Address;
  let baseToken: Address;

  before(async () => {
    [dev, base] = await Promise.all([startAnvil(31337), startAnvil(8453)]);
    const signer = EnvKeySigner.fromPrivateKey(ANVIL_KEYS[0]);
    // On 8453 too: the refusal must come from the chain id, not from a missing token.
    [token, baseToken] = (await Promise.all(
      [dev, base].map(
        async (a) => (await deployContracts({ rpcUrl: a.rpcUrl, signer, pollingIntervalMs: 20 })).token,
      ),
    )) as [Address, Address];
  });

  after(async () => {
    await dev?.stop();
    await base?.stop();
  });

  const reader = (a: Anvil) => createPublicClient({ transport: http(a.rpcUrl) });
  const tokens = (a: Anvil, t: Address) =>
    reader(a).readContract({ address: t, abi: testTokenAbi, functionName: 'balanceOf', args: [FUNDED] });

  it('on anvil: mints the tokens and sends the ETH; the chain agrees', async () => {
    const run = await fund([
      '--rpc',
      dev.rpcUrl,
      '--to',
      FUNDED,
      '--token',
      token,
      '--amount',
      '5000000',
      '--eth',
      '1.5',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout) as {
      chainId: number;
      to: string;
      token: { amount: string; how: string; balance: string };
      eth: { wei: string; balance: string };
    };
    assert.equal(out.chainId, 31337);
    assert.equal(out.to, FUNDED);
    assert.equal(out.token.how, 'mint');
    assert.equal(out.token.amount, '5000000');
    assert.equal(await tokens(dev, token), 5_000_000n);
    assert.equal(out.token.balance, '5000000');
    assert.equal(await reader(dev).getBalance({ address: FUNDED }), parseEther('1.5'));
    assert.equal(out.eth.wei, parseEther('1.5').toString());

    const again = await fund(['--rpc', dev.rpcUrl, '--to', FUNDED, '--eth', '0.25', '--chain-id', '31337']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(await reader(dev).getBalance({ address: FUNDED }), parseEther('1.75'));
    assert.equal(await tokens(dev, token), 5_000_000n);
  });

  it('refuses a chain it does not know to be a test chain (8453), sending nothing', async () => {
    const run = await fund([
      '--rpc',
      base.rpcUrl,
      '--to',
      FUNDED,
      '--token',
      baseToken,
      '--amount',
      '1',
      '--eth',
      '1',
    ]);
    assert.equal(run.status, 1, run.stdout);
    assert.equal(run.stdout, '');
    assert.match(
      run.stderr,
      /refusing to fund on chain 8453: not a known test chain \(31337, 1337, 84532, 421614\)/,
    );
    assert.equal(await tokens(base, baseToken), 0n);
    assert.equal(await reader(base).getBalance({ address: FUNDED }), 0n);
  });

  it('bad arguments exit 2; a chain id the RPC does not serve exits 1', async () => {
    const usage: string[][] = [
      ['--rpc', dev.rpcUrl, '--to', 'nowhere', '--eth', '1'],
      ['--rpc', dev.rpcUrl, '--to', FUNDED, '--token', token],
      ['--rpc', dev.rpcUrl, '--to', FUNDED, '--amount', '5'],
      ['--rpc', dev.rpcUrl, '--to', FUNDED],
      ['--rpc', dev.rpcUrl, '--to', FUNDED, '--eth', '-1'],
      ['--rpc', dev.rpcUrl, '--to', FUNDED, '--token', token, '--amount', '1.5'],
      ['--rpc', 'ws://x', '--to', FUNDED, '--eth', '1'],
    ];
    for (const args of usage) {
      const run = await fund(args);
      assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^connector contracts fund: /);
    }
    const wrong = await fund(['--rpc', dev.rpcUrl, '--to', FUNDED, '--eth', '1', '--chain-id', '84532']);
    assert.equal(wrong.status, 1, wrong.stdout);
    assert.match(wrong.stderr, /expected 84532/);
    assert.equal(await reader(dev).getBalance({ address: FUNDED }), parseEther('1.75'));
  });
});
