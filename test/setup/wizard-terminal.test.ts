/**
 * `connector setup` driven through a pseudo terminal as a person drives it: typing, arrow keys,
 * enter, a wrong value rejected and corrected. Three paths: embedded minimal, standalone with a
 * generated admin key (and a child peer), settlement with an HD mnemonic on anvil. Each written
 * config passes `connector validate` and starts. Ctrl-C writes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KEY, Terminal } from '../helpers/terminal.js';
import { ANVIL_KEYS, TEST_MNEMONIC } from '../settlement/anvil.js';
import { addressOf, startTestChain, type TestChain } from '../settlement/chain-fixture.js';
import { BIN, cli, readEnvFile, startWritten } from './setup-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'setup-tty-'));
after(() => rmSync(root, { recursive: true, force: true }));

function wizard(dir: string): Terminal {
  return new Terminal([process.execPath, BIN, 'setup'], { cwd: dir });
}

function freshDir(name: string): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  return mkdtempSync(`${dir}-`);
}

/** Port prompts answered 0 (a free port), so the written config starts beside other tests. */
async function ports(t: Terminal, explorer: boolean): Promise<void> {
  await t.answer('? BTP port', `0${KEY.enter}`);
  await t.answer('? Health port', `0${KEY.enter}`);
  await t.answer('? Run the Explorer', explorer ? KEY.enter : `n${KEY.enter}`);
  if (explorer) await t.answer('? Explorer port', `0${KEY.enter}`);
}

async function finished(t: Terminal): Promise<void> {
  await t.expect('wrote config.yaml');
  assert.equal(await t.exited, 0, t.screen);
}

function assertValid(dir: string): string {
  const result = cli(['validate', 'config.yaml'], dir);
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** No secret of the .env appears in the YAML. */
function assertNoSecretsInYaml(dir: string): Map<string, string> {
  const env = readEnvFile(join(dir, '.env'));
  const yaml = readFileSync(join(dir, 'config.yaml'), 'utf8');
  for (const [name, value] of env) assert.ok(!yaml.includes(value), `${name}'s value is not in config.yaml`);
  assert.equal(statSync(join(dir, '.env')).mode & 0o777, 0o600);
  return env;
}

describe('connector setup on a terminal', () => {
  let chain: TestChain;
  before(async () => {
    chain = await startTestChain(31_337);
  });
  after(async () => {
    await chain?.stop();
  });

  it('embedded minimal: a wrong node id is refused and corrected, defaults taken with enter', async () => {
    const dir = freshDir('embedded');
    const t = wizard(dir);
    try {
      await t.answer('? Node id', `bad id!${KEY.enter}`);
      await t.expect('one ILP address segment');
      t.type(`${KEY.backspace.repeat(7)}alice${KEY.enter}`);
      await t.expect('Node id alice');
      await t.answer('? Environment', KEY.enter);
      await t.answer('? ILP address', KEY.enter);
      await ports(t, true);
      await t.answer('? Deployment mode', KEY.enter);
      await t.answer('? Data directory', KEY.enter);
      await t.answer('? Ledger', KEY.enter);
      await t.answer('? Settlement on chain', KEY.enter);
      await t.answer('? Add a peer?', KEY.enter);
      await finished(t);
    } finally {
      t.kill();
    }
    assert.equal(existsSync(join(dir, '.env')), false, 'no secrets, no .env');
    const yaml = readFileSync(join(dir, 'config.yaml'), 'utf8');
    assert.match(yaml, /nodeId: alice/);
    assert.match(yaml, /deploymentMode: embedded/);
    assert.match(yaml, /ledgerSnapshotPath: \.\/data\/alice\/ledger-snapshot\.json/);
    assert.match(assertValid(dir), /valid \(node alice, 0 peer\(s\), 0 route\(s\), settlement off\)/);
    const node = await startWritten(dir);
    assert.equal(node.line.ilpAddress, 'g.alice');
    assert.equal(typeof node.line.explorerUrl, 'string');
    assert.equal(await node.stop(), 0);
    assert.ok(existsSync(join(dir, 'data', 'alice', 'ledger-snapshot.json')), 'its own data directory');
  });

  it('standalone with a generated admin key, production, a child peer chosen with the arrow keys', async () => {
    const dir = freshDir('standalone');
    const t = wizard(dir);
    try {
      await t.answer('? Node id', `hub${KEY.enter}`);
      await t.answer('? Environment', `${KEY.down}${KEY.down}${KEY.enter}`);
      await t.expect('Environment production');
      await t.answer('? ILP address', KEY.enter);
      await ports(t, false);
      await t.answer('? Deployment mode', `${KEY.down}${KEY.enter}`);
      await t.answer('? BLS URL', KEY.enter);
      await t.answer('? Admin API port', `0${KEY.enter}`);
      await t.answer('? Data directory', KEY.enter);
      await t.answer('? Ledger', KEY.enter);
      await t.answer('? Settlement on chain', KEY.enter);
      await t.answer('? Add a peer?', `y${KEY.enter}`);
      await t.answer('? Peer id', `kid${KEY.enter}`);
      await t.answer('? Relation of kid', `${KEY.down}${KEY.enter}`);
      await t.answer('? URL to dial kid', KEY.enter);
      await t.answer('? BTP secret shared with kid', `kid-secret${KEY.enter}`);
      await t.answer('? Credit limit for kid', `12x${KEY.enter}`);
      await t.expect('a whole number of ILP units');
      t.type(`${KEY.backspace}000${KEY.enter}`);
      await t.answer('? Settle threshold with kid', KEY.enter);
      await t.answer('? Add another peer?', KEY.enter);
      await finished(t);
    } finally {
      t.kill();
    }
    const env = assertNoSecretsInYaml(dir);
    const adminKey = env.get('ADMIN_API_KEY') ?? '';
    assert.match(adminKey, /^[0-9a-f]{64}$/, 'a generated admin key');
    assert.equal(env.get('BTP_PEER_KID_SECRET'), 'kid-secret');
    const yaml = readFileSync(join(dir, 'config.yaml'), 'utf8');
    assert.match(yaml, /environment: production/);
    assert.match(yaml, /relation: child/);
    assert.match(yaml, /maximum: 12000/);
    assertValid(dir);
    const node = await startWritten(dir);
    try {
      const url = `http://127.0.0.1:${node.line.adminPort as number}/admin/peers`;
      assert.equal((await fetch(url)).status, 401, 'the admin API wants its key');
      const res = await fetch(url, { headers: { 'x-api-key': adminKey } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { peers: { id: string; relation: string }[] };
      assert.deepEqual(
        body.peers.map((p) => [p.id, p.relation]),
        [['kid', 'child']],
      );
    } finally {
      assert.equal(await node.stop(), 0);
    }
  });

  it('settlement with an HD mnemonic on a custom RPC (anvil): starts with the address it printed', async () => {
    const dir = freshDir('settlement');
    const t = wizard(dir);
    try {
      await t.answer('? Node id', `payer${KEY.enter}`);
      await t.answer('? Environment', KEY.enter);
      await t.answer('? ILP address', KEY.enter);
      await ports(t, false);
      await t.answer('? Deployment mode', KEY.enter);
      await t.answer('? Data directory', KEY.enter);
      await t.answer('? Ledger', KEY.enter);
      await t.answer('? Settlement on chain', `${KEY.down}${KEY.down}${KEY.down}${KEY.enter}`);
      await t.expect('Settlement on chain custom');
      await t.answer('? RPC URL', `localhost:1${KEY.enter}`);
      await t.expect('an http(s):// or ws(s):// RPC URL');
      t.type(`${KEY.backspace.repeat('localhost:1'.length)}${chain.anvil.rpcUrl}${KEY.enter}`);
      await t.answer('? Chain id', `${chain.chainId}${KEY.enter}`);
      await t.answer('? Token (ERC-20) address', `${chain.token}${KEY.enter}`);
      await t.answer('? TokenNetworkRegistry address', `${chain.registry}${KEY.enter}`);
      await t.answer('? Settle when owed at least', `100${KEY.enter}`);
      await t.answer('? Signing key', `${KEY.down}${KEY.enter}`);
      await t.answer('? Mnemonic', `${TEST_MNEMONIC}${KEY.enter}`);
      await t.answer('? Derivation path', KEY.enter);
      await t.answer('? Add a peer?', KEY.enter);
      await finished(t);
    } finally {
      t.kill();
    }
    assert.ok(
      t.screen.includes(`settlement address (fund it with gas and tokens): ${addressOf(ANVIL_KEYS[0])}`),
    );
    const env = assertNoSecretsInYaml(dir);
    assert.equal(env.get('EVM_MNEMONIC'), TEST_MNEMONIC);
    assert.match(readFileSync(join(dir, 'config.yaml'), 'utf8'), /mnemonic: \$\{EVM_MNEMONIC\}/);
    assert.match(assertValid(dir), /settlement on/);
    const node = await startWritten(dir);
    assert.equal(await node.stop(), 0);
  });

  it('Ctrl-C in the middle writes nothing', async () => {
    const dir = freshDir('cancel');
    const t = wizard(dir);
    try {
      await t.answer('? Node id', `half${KEY.enter}`);
      await t.answer('? Environment', KEY.ctrlC);
      await t.expect('nothing was written');
      assert.equal(await t.exited, 130);
    } finally {
      t.kill();
    }
    assert.equal(existsSync(join(dir, 'config.yaml')), false);
    assert.equal(existsSync(join(dir, '.env')), false);
  });
});
