/**
 * `connector contracts deploy` and deployContracts on anvil with Arbitrum's chain id, then one
 * claim redeemed there: the EIP-712 domain follows the chain. Also the command's refusals.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { type Address, type Hex, zeroAddress } from 'viem';
import { contractsDeployCommand } from '../../src/cli/contracts.js';
import { EnvKeySigner } from '../../src/keys/index.js';
import {
  ChainClient,
  ChainError,
  type DeployedContracts,
  decodeClaim,
  encodeClaim,
  signClaim,
  TokenNetworkClient,
  testTokenAbi,
  tokenNetworkRegistryAbi,
  verifyClaim,
} from '../../src/settlement/index.js';
import { freePort } from '../helpers/ports.js';
import { ANVIL_KEYS, type Anvil, startAnvil } from './anvil.js';

const CHAIN_ID = 42161;
const BIN = join(process.cwd(), 'bin', 'connector.js');
const POLL_MS = 20;
let anvil: Anvil;

interface Run {
  code: number;
  out: string;
  err: string;
}

async function deployCli(t: TestContext, opts: Parameters<typeof contractsDeployCommand>[0]): Promise<Run> {
  const log = t.mock.method(console, 'log', () => undefined);
  const error = t.mock.method(console, 'error', () => undefined);
  const code = await contractsDeployCommand(opts);
  const text = (calls: { arguments: unknown[] }[]) => calls.map((c) => c.arguments.join(' ')).join('\n');
  const run = { code, out: text(log.mock.calls), err: text(error.mock.calls) };
  log.mock.restore();
  error.mock.restore();
  return run;
}

describe(`contracts deploy on anvil (chain ${CHAIN_ID})`, { timeout: 60_000 }, () => {
  let deployed: DeployedContracts;

  before(async () => {
    anvil = await startAnvil(CHAIN_ID);
  });

  after(async () => {
    await anvil?.stop();
  });

  it('deploys a TestToken, the registry and the TokenNetwork and prints them as JSON', async (t) => {
    const run = await deployCli(t, {
      rpc: anvil.rpcUrl,
      env: { EVM_PRIVATE_KEY: ANVIL_KEYS[0] },
      chainId: String(CHAIN_ID),
      challengeMinSeconds: '60',
    });
    assert.equal(run.code, 0, run.err);
    deployed = JSON.parse(run.out) as DeployedContracts;
    assert.equal(deployed.chainId, CHAIN_ID);
    assert.equal(deployed.deployer, '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    assert.equal(deployed.testToken, true);
    assert.equal(deployed.challengePeriodMinSeconds, 60);
    assert.equal(deployed.challengePeriodMaxSeconds, 2_592_000);
    const client = await ChainClient.connect({
      rpcUrl: anvil.rpcUrl,
      signer: EnvKeySigner.fromPrivateKey(ANVIL_KEYS[0]),
      pollingIntervalMs: POLL_MS,
    });
    assert.equal(client.chainId, CHAIN_ID);
    for (const address of [deployed.registry, deployed.token, deployed.tokenNetwork]) {
      const code = await client.publicClient.getCode({ address });
      assert.ok(code !== undefined && code.length > 2, `no code at ${address}`);
    }
    const listed = await client.publicClient.readContract({
      address: deployed.registry,
      abi: tokenNetworkRegistryAbi,
      functionName: 'tokenToTokenNetwork',
      args: [deployed.token],
    });
    assert.equal(listed, deployed.tokenNetwork);
  });

  it('runs as the CLI binary: `connector contracts deploy --rpc URL` prints the addresses', () => {
    const res = spawnSync(process.execPath, [BIN, 'contracts', 'deploy', '--rpc', anvil.rpcUrl], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', EVM_PRIVATE_KEY: ANVIL_KEYS[1] },
    });
    assert.equal(res.status, 0, res.stderr);
    const printed = JSON.parse(res.stdout) as Record<string, unknown>;
    assert.equal(printed.chainId, CHAIN_ID);
    for (const key of ['registry', 'tokenNetwork', 'token'])
      assert.match(String(printed[key]), /^0x[0-9a-fA-F]{40}$/, key);
    assert.ok(!res.stdout.includes(ANVIL_KEYS[1].slice(2)) && !res.stderr.includes(ANVIL_KEYS[1].slice(2)));
  });

  it('with --token, uses that token and deploys no TestToken', async (t) => {
    const run = await deployCli(t, {
      rpc: anvil.rpcUrl,
      token: deployed.token,
      env: { EVM_PRIVATE_KEY: ANVIL_KEYS[1] },
    });
    assert.equal(run.code, 0, run.err);
    const again = JSON.parse(run.out) as DeployedContracts;
    assert.equal(again.token, deployed.token);
    assert.equal(again.testToken, false);
    assert.notEqual(again.registry, deployed.registry);
  });

  it('a claim signed for this chain redeems here', async () => {
    const connect = async (key: Hex) =>
      ChainClient.connect({
        rpcUrl: anvil.rpcUrl,
        chainId: CHAIN_ID,
        signer: EnvKeySigner.fromPrivateKey(key),
        pollingIntervalMs: POLL_MS,
      });
    const senderClient = await connect(ANVIL_KEYS[1]);
    const receiverClient = await connect(ANVIL_KEYS[2]);
    await senderClient.submit('mint', () =>
      senderClient.walletClient.writeContract({
        address: deployed.token,
        abi: testTokenAbi,
        functionName: 'mint',
        args: [senderClient.address, 10_000n],
      }),
    );
    const asSender = await TokenNetworkClient.fromRegistry(senderClient, deployed.registry, deployed.token);
    const asReceiver = new TokenNetworkClient(receiverClient, asSender.address);
    const { channelId } = await asSender.openChannel(receiverClient.address, 60, 5_000n);
    const ref = { chainId: CHAIN_ID, tokenNetwork: asSender.address, channelId };
    const claim = decodeClaim(encodeClaim(await signClaim(senderClient.signer, ref, 1n, 1_234n)));
    const verdict = await verifyClaim(claim, {
      ...ref,
      sender: senderClient.address,
      deposit: 5_000n,
      lastNonce: 0n,
      lastAmount: 0n,
    });
    assert.equal(verdict.ok, true);
    const balance = (owner: Address) =>
      receiverClient.publicClient.readContract({
        address: deployed.token,
        abi: testTokenAbi,
        functionName: 'balanceOf',
        args: [owner],
      });
    const before = await balance(receiverClient.address);
    assert.equal((await asReceiver.redeem(claim)).paid, 1_234n);
    assert.equal(await balance(receiverClient.address), before + 1_234n);
  });

  it('refuses bad arguments (exit 2) and failures (exit 1) without echoing the key', async (t) => {
    const env = { EVM_PRIVATE_KEY: ANVIL_KEYS[0] };
    const cases: [Parameters<typeof contractsDeployCommand>[0], number, RegExp][] = [
      [{ rpc: 'ftp://x', env }, 2, /http\(s\) URL/],
      [{ rpc: anvil.rpcUrl, token: '0x1234', env }, 2, /--token/],
      [{ rpc: anvil.rpcUrl, chainId: 'x', env }, 2, /--chain-id/],
      [{ rpc: anvil.rpcUrl, challengeMinSeconds: '0', env }, 2, /--challenge-min/],
      [{ rpc: anvil.rpcUrl, env: { ...env, KEY_BACKEND: 'vault' } }, 2, /KEY_BACKEND/],
      [{ rpc: anvil.rpcUrl, env: {} }, 1, /EVM_PRIVATE_KEY/],
      [{ rpc: anvil.rpcUrl, env: { EVM_PRIVATE_KEY: `${ANVIL_KEYS[0]}ff` } }, 1, /privateKey/],
      [{ rpc: anvil.rpcUrl, env: { ...env, KEY_BACKEND: 'aws-kms' } }, 1, /awsKms\.keyId is required/],
      [{ rpc: anvil.rpcUrl, chainId: 8453, env }, 1, /serves chain 42161, expected 8453/],
      [{ rpc: anvil.rpcUrl, token: zeroAddress, env }, 1, /TokenNotContract/],
    ];
    for (const [opts, code, pattern] of cases) {
      const run = await deployCli(t, opts);
      assert.equal(run.code, code, `${JSON.stringify(opts)}: ${run.err}`);
      assert.match(run.err, pattern);
      assert.ok(!run.err.includes(ANVIL_KEYS[0].slice(2)), run.err);
      assert.equal(run.out, '');
    }
  });

  it('an unreachable RPC is a ChainError that hides the URL path (API keys live there)', async () => {
    const port = await freePort();
    const rpcUrl = `http://127.0.0.1:${port}/v2/SECRET-API-KEY`;
    await assert.rejects(
      ChainClient.connect({
        rpcUrl,
        signer: EnvKeySigner.fromPrivateKey(ANVIL_KEYS[0]),
        retryCount: 0,
        requestTimeoutMs: 2_000,
      }),
      (error: unknown) => {
        assert.ok(error instanceof ChainError);
        assert.equal(error.kind, 'rpc');
        for (const text of [error.message, error.detail ?? '', JSON.stringify(error)]) {
          assert.ok(!text.includes('SECRET-API-KEY'), text);
        }
        return true;
      },
    );
  });
});
