/**
 * `npm run demo -- --duration 20` from the built package (the build is the predemo script,
 * skipped here with --ignore-scripts: the test runs what `npm test` built). Asserted from the
 * nodes' own APIs while it runs: the STREAM payments arrived with exact amounts, a claim was
 * redeemed (the channel says so, and bob's token balance on anvil moved). A screenshot of hub's
 * Explorer during the demo is taken in headless Chromium (docs/demo.png with
 * UPDATE_SCREENSHOTS=1). After the end, every process and port is gone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, it } from 'node:test';
import { launchBrowser, openPage, screenshot, waitUntil } from '../explorer-ui/browser.js';

const PAYMENTS = 5;
const PAYMENT_AMOUNT = 10_000n;
const POLL_MS = 200;

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  return (await res.json()) as T;
}

/** Polls `read` until `done` holds (bounded by the demo's own duration: it fails when it ends). */
async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

interface Balance {
  peerId: string;
  debit: string;
  credit: string;
  net: string;
}

let child: ReturnType<typeof spawn> | undefined;
after(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
});

it('npm run demo -- --duration 20: payments exact, a claim redeemed on anvil, everything gone after', {
  timeout: 180_000,
}, async () => {
  child = spawn('npm', ['run', 'demo', '--ignore-scripts', '--', '--duration', '20'], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  let output = '';
  const exited = once(child, 'exit');
  const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
    for (;;) {
      const match = pattern.exec(output);
      if (match) return match;
      if (child!.exitCode !== null)
        throw new Error(`demo exited (${child!.exitCode}) before ${pattern}:\n${output}`);
      await Promise.race([once(child!.stdout!, 'data'), exited]);
    }
  };
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });

  const chainLine = await waitFor(
    /demo: chain (http:\/\/127\.0\.0\.1:(\d+)) \(id \d+, anvil pid (\d+)\), token (0x[0-9a-f]{40})/,
  );
  const [, rpcUrl, rpcPort, anvilPid, token] = chainLine;
  await waitFor(/demo: traffic:/);
  const nodes = new Map<string, { address: string; ports: number[]; evm: string; explorer: string }>();
  for (const m of output.matchAll(
    /demo: node (\S+) (\S+) btp (\d+) health (\d+) settles as (0x[0-9a-fA-F]{40}) Explorer (http:\/\/127\.0\.0\.1:(\d+)\/)/g,
  )) {
    nodes.set(m[1]!, {
      address: m[2]!,
      ports: [Number(m[3]), Number(m[4]), Number(m[7])],
      evm: m[5]!,
      explorer: m[6]!,
    });
  }
  assert.deepEqual([...nodes.keys()], ['hub', 'alice', 'bob']);
  assert.equal(nodes.get('bob')!.address, 'g.hub.bob', 'bob took its address from hub by IL-DCP');

  await waitFor(
    new RegExp(
      `demo: payments done: ${PAYMENTS} completed, 0 failed, ${PAYMENT_AMOUNT * BigInt(PAYMENTS)} received`,
    ),
  );
  const total = (PAYMENT_AMOUNT * BigInt(PAYMENTS)).toString();
  // Exact amounts, from the nodes' own APIs: what bob owes its receiver, what alice's sender owes alice.
  const bobBalances = await getJson<{ balances: Balance[] }>(`${nodes.get('bob')!.explorer}api/balances`);
  const receiver = bobBalances.balances.find((b) => b.peerId === 'receiver');
  assert.equal(receiver?.net, total);
  const aliceBalances = await getJson<{ balances: Balance[] }>(`${nodes.get('alice')!.explorer}api/balances`);
  assert.equal(aliceBalances.balances.find((b) => b.peerId === 'sender')?.net, `-${total}`);

  // A claim redeemed: bob's incoming channel from hub says so, and bob's tokens moved on anvil.
  const channels = await eventually(
    () =>
      getJson<{ channels: { peerId: string; direction: string; redeemed?: string }[] }>(
        `${nodes.get('bob')!.explorer}api/channels`,
      ),
    (v) => v.channels.some((c) => c.direction === 'incoming' && BigInt(c.redeemed ?? '0') > 0n),
    10_000,
  );
  const incoming = channels.channels.find((c) => c.direction === 'incoming' && c.peerId === 'hub');
  assert.ok(BigInt(incoming?.redeemed ?? '0') > 0n, JSON.stringify(channels));
  const call = await fetch(rpcUrl!, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_call',
      params: [
        { to: token, data: `0x70a08231${nodes.get('bob')!.evm.slice(2).toLowerCase().padStart(64, '0')}` },
        'latest',
      ],
    }),
  });
  const { result } = (await call.json()) as { result: string };
  assert.equal(BigInt(result), BigInt(incoming!.redeemed!), "bob's token balance is what it redeemed");

  // hub's Explorer, live, in headless Chromium.
  const browser = await launchBrowser();
  try {
    const { page, errors } = await openPage(browser, nodes.get('hub')!.explorer, 1440, 1100);
    await waitUntil(
      page,
      `document.body.innerText.includes('alice') && document.body.innerText.includes('bob')`,
    );
    await waitUntil(page, `document.querySelectorAll('tbody tr').length > 3`);
    const shot = await screenshot(page, 'demo-hub', 'demo.png');
    assert.ok(shot.endsWith('.png'));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }

  const [code] = (await exited) as [number | null];
  assert.equal(code, 0, output);
  assert.match(output, /demo: stopping \(duration reached\)/);
  assert.equal(alive(Number(anvilPid)), false, 'anvil is gone');
  const ports = [Number(rpcPort), ...[...nodes.values()].flatMap((n) => n.ports)];
  for (const port of ports) assert.equal(await portOpen(port), false, `port ${port} is closed`);
});

it('bad options are refused with what is allowed, before anything starts', async () => {
  const { spawnSync } = await import('node:child_process');
  const result = spawnSync(process.execPath, ['bin/connector.js', 'demo', '--nodes', '2'], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /--nodes must be an integer from 3 to 8/);
});
