/**
 * An Explorer store that cannot be opened or written never stops packets, and is reported: the
 * Explorer's /api/health (degraded, store failed, the error), the log, /metrics
 * (`connector_explorer_store_up`, `connector_explorer_events_dropped_total`) and the node's
 * /health (which stays healthy and ready). Two real nodes on loopback, both with their stores in
 * the broken place; every fault is a real one of the file system, no mocks.
 *
 * The tests run as root in CI, and root ignores permission bits, so "read-only" and "full" are
 * made in ways that stop root too: a path through a regular file, a directory where the file
 * should be, a file that is not a database; the immutable flag (`chattr +i`, refused to root as
 * well); a file-size limit of one byte on this process (RLIMIT_FSIZE: writes fail with EFBIG,
 * like a full disk); a real 4 MiB tmpfs filled up (ENOSPC). The last two kinds need privileges a
 * container may not grant (CAP_LINUX_IMMUTABLE, mount); those tests say so and skip without them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { type Logger, pino } from 'pino';
import { ConnectorNode } from '../../src/index.js';
import { baseConfig, btpUrl, sendData, waitConnected } from '../helpers/nodes.js';
import { waitFor } from '../http/explorer/events.js';

const PACKETS = 200;
const STORE_FAILED = 'explorer event store failed; events are no longer stored';
/** libsql's words for SQLITE_CANTOPEN (14). */
const CANNOT_OPEN = /Unable to open connection to local database .*: 14\b/;

interface Node {
  node: ConnectorNode;
  logs: Record<string, unknown>[];
}

/** Cleanups run last-registered first, after the test, whatever happened in it. */
function cleanups(t: TestContext): (fn: () => unknown) => void {
  const stack: (() => unknown)[] = [];
  t.after(async () => {
    for (const fn of stack.reverse()) await fn();
  });
  return (fn) => stack.push(fn);
}

function tempDir(onCleanup: (fn: () => unknown) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'store-fault-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function captureLogger(name: string, logs: Record<string, unknown>[]): Logger {
  return pino({ name, level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
}

/** A (sends) and B (answers), both recording into `storeDir/<id>.db`. */
async function startPair(storeDir: string, onCleanup: (fn: () => unknown) => void): Promise<Node[]> {
  const start = async (id: string, extra: Parameters<typeof baseConfig>[1]): Promise<Node> => {
    const logs: Record<string, unknown>[] = [];
    const explorer = { enabled: true, port: 0, storePath: join(storeDir, `${id}.db`) };
    const node = new ConnectorNode(baseConfig(id, { ...extra, explorer }), captureLogger(id, logs), {
      env: {},
    });
    onCleanup(() => node.stop());
    await node.start();
    return { node, logs };
  };
  const b = await start('b', { peers: [{ id: 'a', authToken: 'ab' }], routes: [] });
  b.node.setPacketHandler(async () => ({ accept: true }));
  const a = await start('a', {
    peers: [{ id: 'b', url: btpUrl(b.node), authToken: 'ab' }],
    routes: [{ prefix: 'g.b', nextHop: 'b' }],
  });
  await Promise.all([waitConnected(a.node, 'b'), waitConnected(b.node, 'a')]);
  return [a, b];
}

/** Sends `n` packets from A to B at once; every one must be fulfilled. */
async function sendAll(a: ConnectorNode, n: number, tag: string): Promise<void> {
  const replies = await Promise.all(
    Array.from({ length: n }, (_, i) => sendData(a, 'g.b.shop', 1n, `${tag}-${i}`)),
  );
  const fulfilled = replies.filter((r) => r.type === 13).length;
  assert.equal(fulfilled, n, `${tag}: every packet fulfilled`);
}

// biome-ignore lint/suspicious/noExplicitAny: a response body is whatever JSON came back; the assertions check it
async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

async function metric(node: ConnectorNode, series: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${node.healthPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const STORE_UP = 'connector_explorer_store_up';
const STORE_DROPPED = 'connector_explorer_events_dropped_total{stage="store"}';

/** Waits until the node's store has events and reports itself up. */
async function storeWorks({ node }: Node): Promise<void> {
  const explorer = `http://127.0.0.1:${node.explorerPort}`;
  await waitFor(async () => {
    const { body } = await getJson(`${explorer}/api/health`);
    return body.store.state === 'open' && body.store.events > 0 ? true : undefined;
  }, `${node.config.nodeId}: events stored`);
  assert.equal(await metric(node, STORE_UP), 1);
  assert.equal((await getJson(`${explorer}/api/events`)).status, 200);
}

/** Every channel reports the failure; the node itself stays healthy and ready. */
async function assertReported({ node, logs }: Node, what: 'open' | 'write', cause: RegExp): Promise<void> {
  const id = node.config.nodeId;
  const explorer = `http://127.0.0.1:${node.explorerPort}`;
  const health = await waitFor(async () => {
    const { body } = await getJson(`${explorer}/api/health`);
    return body.store.state === 'failed' && body.dropped > 0 ? body : undefined;
  }, `${id}: the store failed and dropped events`);
  assert.equal(health.status, 'degraded');
  assert.match(health.store.error, new RegExp(`^${what} failed: `));
  assert.match(health.store.error, cause);
  assert.equal((await getJson(`${explorer}/api/events`)).status, 503);

  const logged = logs.find((r) => r.msg === STORE_FAILED);
  assert.ok(logged !== undefined, `${id}: the failure is logged`);
  assert.ok(Number(logged.level) >= 40, 'at warn level or above');
  assert.match(String(logged.err), cause);

  assert.equal(await metric(node, STORE_UP), 0);
  const dropped = await metric(node, STORE_DROPPED);
  assert.ok(dropped !== undefined && dropped > 0, `${id}: dropped events counted (${dropped})`);

  const nodeHealth = await getJson(`http://127.0.0.1:${node.healthPort}/health`);
  assert.equal(nodeHealth.status, 200);
  assert.equal(nodeHealth.body.status, 'healthy');
  assert.equal(nodeHealth.body.ready, true);
  assert.equal(nodeHealth.body.explorer.store, 'failed');
  assert.match(nodeHealth.body.explorer.error, cause);
}

/** Runs `command`; false when it is missing or refused (no capability, no permission). */
function run(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** chattr +i stops root as well; it needs CAP_LINUX_IMMUTABLE and a file system with the flag. */
function canFreeze(onCleanup: (fn: () => unknown) => void): boolean {
  const probe = join(tempDir(onCleanup), 'probe');
  writeFileSync(probe, '');
  if (!run('chattr', ['+i', probe])) return false;
  run('chattr', ['-i', probe]);
  return true;
}

/**
 * RLIMIT_FSIZE of this process, lowered to one byte on `full()`: every write SQLite makes fails
 * with EFBIG (Node ignores SIGXFSZ, which would otherwise kill the process), as on a full disk.
 * Nothing else here writes to files (the logs go to memory, the test's output to a pipe).
 * Undefined when prlimit (util-linux) is missing.
 */
function fileSizeLimit(
  onCleanup: (fn: () => unknown) => void,
): { full(): void; restore(): void } | undefined {
  const pid = String(process.pid);
  const read = spawnSync('prlimit', ['--pid', pid, '--fsize', '--raw', '--noheadings', '--output=SOFT'], {
    encoding: 'utf8',
  });
  if (read.status !== 0) return undefined;
  const soft = read.stdout.trim();
  const restore = () => assert.ok(run('prlimit', ['--pid', pid, `--fsize=${soft}:`]), 'limit restored');
  onCleanup(restore);
  return { full: () => assert.ok(run('prlimit', ['--pid', pid, '--fsize=1:'])), restore };
}

describe('Explorer store that cannot be opened: the node forwards and reports it', () => {
  const cases: { name: string; cause: RegExp; make: (dir: string) => string }[] = [
    {
      name: 'its folder is a regular file',
      cause: /EEXIST|ENOTDIR/,
      make: (dir) => {
        writeFileSync(join(dir, 'plain'), 'not a folder');
        return join(dir, 'plain');
      },
    },
    {
      name: 'the store path is a folder',
      cause: CANNOT_OPEN,
      make: (dir) => {
        for (const id of ['a', 'b']) mkdirSync(join(dir, `${id}.db`));
        return dir;
      },
    },
    {
      name: 'the file is not a database',
      cause: /not a database/,
      make: (dir) => {
        for (const id of ['a', 'b']) writeFileSync(join(dir, `${id}.db`), 'x'.repeat(8192));
        return dir;
      },
    },
  ];
  for (const c of cases) {
    it(c.name, async (t) => {
      const onCleanup = cleanups(t);
      const nodes = await startPair(c.make(tempDir(onCleanup)), onCleanup);
      await sendAll(nodes[0]!.node, PACKETS, 'first');
      for (const n of nodes) await assertReported(n, 'open', c.cause);
      await sendAll(nodes[0]!.node, PACKETS, 'second');
    });
  }

  it('the disk is full from the start (file-size limit, EFBIG)', async (t) => {
    const onCleanup = cleanups(t);
    const dir = tempDir(onCleanup);
    const limit = fileSizeLimit(onCleanup);
    if (limit === undefined) return t.skip('prlimit (util-linux) is not available');
    limit.full();
    const nodes = await startPair(dir, onCleanup);
    await sendAll(nodes[0]!.node, PACKETS, 'first');
    for (const n of nodes) await assertReported(n, 'open', /disk I\/O error|full/);
    limit.restore();
  });

  it('its folder is read-only (mode 0555, and immutable so that root is refused too)', async (t) => {
    const onCleanup = cleanups(t);
    const dir = join(tempDir(onCleanup), 'read-only');
    mkdirSync(dir);
    chmodSync(dir, 0o555);
    run('chattr', ['+i', dir]);
    onCleanup(() => {
      run('chattr', ['-i', dir]);
      chmodSync(dir, 0o755);
    });
    try {
      writeFileSync(join(dir, 'probe'), '');
      t.skip('this process may write a read-only folder (root without CAP_LINUX_IMMUTABLE)');
      return;
    } catch {
      // refused, as it must be
    }
    const nodes = await startPair(dir, onCleanup);
    await sendAll(nodes[0]!.node, PACKETS, 'first');
    for (const n of nodes) await assertReported(n, 'open', CANNOT_OPEN);
  });
});

describe('Explorer store that stops being writable while the node runs: it forwards and reports it', () => {
  /** Both stores work, `breakStores` breaks them, and packets flow before, during and after. */
  async function scenario(nodes: Node[], breakStores: () => void, cause: RegExp): Promise<void> {
    const a = nodes[0]!.node;
    await sendAll(a, 20, 'before');
    for (const n of nodes) await storeWorks(n);
    breakStores();
    await sendAll(a, PACKETS, 'breaking');
    for (const n of nodes) await assertReported(n, 'write', cause);
    await sendAll(a, PACKETS, 'failed');
  }

  it('full: writes beyond a file-size limit fail (RLIMIT_FSIZE, EFBIG)', async (t) => {
    const onCleanup = cleanups(t);
    const dir = tempDir(onCleanup);
    const limit = fileSizeLimit(onCleanup);
    if (limit === undefined) return t.skip('prlimit (util-linux) is not available');
    const nodes = await startPair(dir, onCleanup);
    await scenario(nodes, limit.full, /disk I\/O error|full/);
    limit.restore();
  });

  it('full: a real tmpfs with no space left (ENOSPC)', async (t) => {
    const onCleanup = cleanups(t);
    const mount = join(tempDir(onCleanup), 'small');
    mkdirSync(mount);
    if (!run('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]))
      return t.skip('mounting a tmpfs is not permitted here');
    // Lazy: the stores' connections close their files only when collected (libsql).
    onCleanup(() => run('umount', ['-l', mount]));
    const nodes = await startPair(mount, onCleanup);
    await scenario(
      nodes,
      () => {
        const fd = openSync(join(mount, 'filler'), 'w');
        const chunk = Buffer.alloc(64 * 1024, 1);
        try {
          for (;;) writeSync(fd, chunk);
        } catch (err) {
          assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
        } finally {
          closeSync(fd);
        }
      },
      /database or disk is full/,
    );
  });

  it('read-only: the folder and the files become immutable (chattr +i)', async (t) => {
    const onCleanup = cleanups(t);
    if (!canFreeze(onCleanup)) return t.skip('chattr +i is not permitted here (CAP_LINUX_IMMUTABLE)');
    const dir = tempDir(onCleanup);
    // Not the -shm files: SQLite maps them into memory, and a write to a mapped page the file
    // system refuses is a SIGBUS, which no process survives (see docs/explorer.md).
    const frozen = [dir, ...['a', 'b'].flatMap((id) => [join(dir, `${id}.db`), join(dir, `${id}.db-wal`)])];
    onCleanup(() => run('chattr', ['-i', ...frozen]));
    const nodes = await startPair(dir, onCleanup);
    await scenario(nodes, () => assert.ok(run('chattr', ['+i', ...frozen])), /disk I\/O error/);
  });

  it('removed: the folder is deleted under the open store (found by the store, not SQLite)', async (t) => {
    const onCleanup = cleanups(t);
    const dir = tempDir(onCleanup);
    const nodes = await startPair(dir, onCleanup);
    await scenario(nodes, () => rmSync(dir, { recursive: true }), /removed or replaced/);
  });
});
