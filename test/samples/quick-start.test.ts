/**
 * The README's Quick Start, unchanged but for the ports in config.yaml (0 = ephemeral, the Explorer's too) and the
 * stop at the end. It runs in a temp dir holding the config.yaml the sample names.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { ConnectorNode, createLogger } from '@toon-protocol/connector';

const dir = mkdtempSync(join(tmpdir(), 'quick-start-'));
const cwd = process.cwd();
after(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

it('Quick Start sample runs', async () => {
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      'nodeId: my-agent',
      'btpServerPort: 0',
      'healthCheckPort: 0',
      'environment: development',
      'peers: []',
      'routes: []',
      'explorer:',
      '  port: 0',
      '',
    ].join('\n'),
  );
  process.chdir(dir);

  // ── sample (verbatim) ──
  const node = new ConnectorNode('config.yaml', createLogger('my-agent', 'info'));

  node.setPacketHandler(async (request) => {
    console.log(`Received ${request.amount} tokens`);
    return { accept: true };
  });

  await node.start();
  // ── end of sample ──

  assert.equal(node.getDeploymentMode(), 'embedded');
  assert.ok(node.btpPort > 0);
  assert.ok(node.explorerPort > 0, 'the Explorer is on by default');
  await node.stop();
});
