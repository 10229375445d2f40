/**
 * The start's chain id check on a real chain: anvil (npm) serving Base Sepolia's id 84532 with
 * the contracts deployed. A NETWORK_MODE=testnet node pointed at it starts and connects; a
 * mainnet config pointed at it (a testnet RPC where Base 8453 is expected) is refused before
 * anything starts, naming the chain, the configured id and the served id. An RPC that does not
 * answer (refused, or silent past the timeout) does not stop the start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { type ConnectorConfig, ConnectorNode } from '../../src/index.js';
import { ChainError } from '../../src/settlement/index.js';
import { baseConfig, makeNode } from '../helpers/nodes.js';
import { ANVIL_KEYS } from './anvil.js';
import { startTestChain, type TestChain } from './chain-fixture.js';

const TESTNET_BASE = 84532;
/** The arbitrum preset would reach the public RPC: these tests use base only. */
const NO_ARBITRUM = { arbitrum: { enabled: false } };

describe('the chain id check at start', () => {
  let chain: TestChain;
  let dir: string;
  let silent: Server;
  const sockets = new Set<Socket>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chain-id-'));
    chain = await startTestChain(TESTNET_BASE);
    // Accepts connections and never answers: an RPC that hangs.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** NETWORK_MODE and the base RPC from the environment, as an operator sets them. */
  function presetNode(mode: 'testnet' | 'mainnet', extra: Partial<ConnectorConfig> = {}) {
    const config = baseConfig(`n-${mode}`, {
      settlement: { ledgerDurability: 'off', statePath: join(dir, `${mode}.json`) },
      settlementInfra: { privateKey: ANVIL_KEYS[1], chainPollingIntervalMs: 20 },
      blockchain: NO_ARBITRUM,
      ...extra,
    });
    return makeNode(config, {
      NETWORK_MODE: mode,
      BASE_L2_RPC_URL: chain.anvil.rpcUrl,
      M2M_TOKEN_ADDRESS: chain.token,
      TOKEN_NETWORK_REGISTRY: chain.registry,
    });
  }

  it('lets a testnet node on Base Sepolia start and connect', async () => {
    const node = presetNode('testnet');
    try {
      await node.start();
      // Connected: the registry's TokenNetwork for the token was found on chain 84532.
      await node.settlementReady('base');
    } finally {
      await node.stop();
    }
  });

  it('refuses a mainnet config whose base RPC serves Base Sepolia, before anything starts', async (t) => {
    const node = presetNode('mainnet');
    t.after(() => node.stop());
    await assert.rejects(node.start(), (error: unknown) => {
      assert.ok(error instanceof ChainError, String(error));
      assert.equal(error.code, 'ERR_CHAIN_WRONG_CHAIN');
      assert.match(
        error.message,
        /chain "base" is configured as chain id 8453 but its RPC http:\/\/127\.0\.0\.1:\d+ serves chain id 84532/,
      );
      return true;
    });
    assert.throws(() => node.btpPort, /not listening/, 'no BTP server was started');
  });

  it('names every wrong chain, and only those', async (t) => {
    const node = presetNode('testnet', {
      blockchain: { arbitrum: { rpcUrl: chain.anvil.rpcUrl, registryAddress: chain.registry } },
    });
    t.after(() => node.stop());
    await assert.rejects(node.start(), (error: unknown) => {
      assert.ok(error instanceof ChainError);
      assert.match(
        error.message,
        /chain "arbitrum" is configured as chain id 421614 .* serves chain id 84532/,
      );
      assert.doesNotMatch(error.message, /chain "base"/);
      return true;
    });
  });

  it('starts when an RPC refuses or does not answer, and says so', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const hanging = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const config = baseConfig('n-silent', {
      settlement: { ledgerDurability: 'off', statePath: join(dir, 'silent.json') },
      settlementInfra: {
        privateKey: ANVIL_KEYS[1],
        networkMode: 'testnet',
        rpcUrl: hanging,
        registryAddress: chain.registry,
        chainCheckTimeoutMs: 200,
      },
      blockchain: { arbitrum: { rpcUrl: 'http://127.0.0.1:1', registryAddress: chain.registry } },
    });
    const node = new ConnectorNode(config, logger, { env: {} });
    try {
      const startedAt = Date.now();
      await node.start();
      assert.ok(Date.now() - startedAt < 5_000, 'the start waited for the check timeout, not longer');
      const warned = lines.filter((l) => String(l.msg).includes('did not answer eth_chainId'));
      assert.deepEqual(warned.map((l) => l.chain).sort(), ['arbitrum', 'base']);
    } finally {
      await node.stop();
    }
  });
});
