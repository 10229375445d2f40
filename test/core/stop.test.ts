/**
 * stop() is one stop, however many callers: a second call (a signal during an admin stop)
 * resolves only once the first has closed the ledger (its final snapshot written, its lock
 * released).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { baseConfig, makeNode } from '../helpers/nodes.js';

const dir = mkdtempSync(join(tmpdir(), 'stop-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('two concurrent stops both wait for the ledger to close', async () => {
  const snapshot = join(dir, 'ledger', 'snapshot.json');
  const node = makeNode(
    baseConfig('s', { settlement: { ledgerDurability: 'fsync', ledgerSnapshotPath: snapshot } }),
  );
  await node.start();
  assert.ok(existsSync(`${snapshot}.lock`), 'the open ledger holds its lock');
  const first = node.stop();
  await node.stop();
  assert.equal(existsSync(`${snapshot}.lock`), false, 'the second stop returned after the close');
  assert.ok(existsSync(snapshot), 'the final snapshot is written');
  await first;
});
