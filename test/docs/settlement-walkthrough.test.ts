/**
 * docs/settlement.md, "From zero: two nodes on one machine", run as written: every ```sh line in
 * order (`npx connector` is this checkout's bin/connector.js, `anvil` the npm package's binary),
 * every ```yaml block saved under the name its first line gives, each port of the doc moved to a
 * free one. Lines ending in `&` run in the background until the end. Then what the doc says is
 * checked: the balance fields, the close, bob's payout, read on chain through viem too.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Address, createPublicClient, http } from 'viem';
import { testTokenAbi } from '../../src/settlement/index.js';
import { freePort } from '../helpers/ports.js';
import { anvilBinary } from '../settlement/anvil.js';

const BIN = join(process.cwd(), 'bin', 'connector.js');
const DOC = join(process.cwd(), 'docs', 'settlement.md');
const SECTION = '## From zero: two nodes on one machine';
const DOC_PORTS = [8545, 4001, 4002, 8101, 8102, 8201, 8202, 3100];
const COMMAND_TIMEOUT_MS = 120_000;

interface Block {
  lang: string;
  text: string;
}

/** The fenced blocks of the section, in order. */
export function sectionBlocks(markdown: string): Block[] {
  const start = markdown.indexOf(SECTION);
  assert.ok(start >= 0, `docs/settlement.md has no "${SECTION}"`);
  const rest = markdown.slice(start + SECTION.length);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, text: m[2]! }));
}

/** Command lines of a sh block: continuations joined, comments and blank lines dropped. */
function commandLines(text: string): string[] {
  return text
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function waitPort(port: number, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > until) reject(new Error(`nothing listens on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

interface Ran {
  line: string;
  stdout: string;
}

describe('docs/settlement.md: the operator’s path from zero', { timeout: 300_000 }, () => {
  let dir: string;
  const background: ChildProcess[] = [];
  const ran: Ran[] = [];
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const ports = new Map<number, number>();

  const localize = (text: string) =>
    DOC_PORTS.reduce(
      (t, p) => t.replace(new RegExp(`(?<![0-9])${p}(?![0-9])`, 'g'), String(ports.get(p))),
      text,
    ).replace(/\bnpx connector\b/g, `node ${JSON.stringify(BIN)}`);

  async function bash(script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const child = spawn('bash', ['-c', script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    const [status] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    return { status, stdout, stderr };
  }

  async function runLine(docLine: string): Promise<void> {
    const line = localize(docLine);
    const exported = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (exported !== null) {
      const [, name, value] = exported;
      const res = await bash(`${name}=${value}; printf %s "$${name}"`);
      assert.equal(res.status, 0, `${docLine}\n${res.stderr}`);
      assert.ok(res.stdout !== '', `${docLine} gave an empty value\n${res.stderr}`);
      env[name!] = res.stdout;
      return;
    }
    if (line.endsWith('&')) {
      const command = line
        .slice(0, -1)
        .trim()
        .replace(/^anvil\b/, JSON.stringify(anvilBinary()));
      // Its own process group, so the end of the test stops it with all it started.
      const child = spawn('bash', ['-c', command], { cwd: dir, env, stdio: 'ignore', detached: true });
      background.push(child);
      const listens = /--port (\d+)|\.listen\((\d+)\)/.exec(line);
      if (listens !== null) await waitPort(Number(listens[1] ?? listens[2]));
      return;
    }
    const res = await bash(line);
    assert.equal(res.status, 0, `${docLine}\nexit ${res.status}\n${res.stdout}\n${res.stderr}`);
    ran.push({ line: docLine, stdout: res.stdout });
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'settlement-walkthrough-'));
    for (const p of DOC_PORTS) ports.set(p, await freePort());
  });

  after(async () => {
    for (const child of background) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {}
    }
    await Promise.all(
      background.map((child) =>
        child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined,
      ),
    );
    for (const child of background) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every command of the section runs, and the results are the ones the doc states', async () => {
    const blocks = sectionBlocks(await readFile(DOC, 'utf8'));
    assert.ok(blocks.length >= 6, 'the section has its blocks');
    for (const block of blocks) {
      if (block.lang === 'yaml') {
        const name = /^# ([\w.-]+\.yaml)\n/.exec(block.text)?.[1];
        assert.ok(name !== undefined, `a yaml block names its file in its first line:\n${block.text}`);
        await writeFile(join(dir, name), localize(block.text));
      } else {
        assert.equal(block.lang, 'sh', `a block of the section is sh or yaml, not ${block.lang}`);
        for (const line of commandLines(block.text)) await runLine(line);
      }
    }

    const output = (fragment: string) => {
      const found = ran.find((r) => r.line.includes(fragment));
      assert.ok(found !== undefined, `the doc runs a command with ${fragment}`);
      return JSON.parse(found.stdout) as Record<string, unknown>;
    };
    // The balance fields as the doc explains them.
    const payer = output('/admin/balances/bob');
    assert.deepEqual(
      [payer.creditBalance, payer.debitBalance, payer.netBalance, payer.pendingDebit, payer.pendingCredit],
      ['1000', '1000', '0', '0', '0'],
    );
    const payee = output('/admin/balances/alice');
    assert.deepEqual(
      [payee.debitBalance, payee.creditBalance, payee.netBalance, payee.pendingDebit, payee.pendingCredit],
      ['1000', '1000', '0', '0', '0'],
    );
    // The close settled at once; bob's wallet has the payout, as the chain says.
    assert.equal(output('channels close').status, 'settled');
    const wallet = output('channels wallet') as { balances: { tokenBalance: string; address: string }[] };
    const payout = 1000n * 10n ** 9n;
    assert.equal(wallet.balances[0]?.address, env.BOB_ADDRESS);
    assert.equal(wallet.balances[0]?.tokenBalance, payout.toString());
    const viem = createPublicClient({ transport: http(`http://127.0.0.1:${ports.get(8545)}`) });
    const balanceOf = (owner: string) =>
      viem.readContract({
        address: env.M2M_TOKEN_ADDRESS as Address,
        abi: testTokenAbi,
        functionName: 'balanceOf',
        args: [owner as Address],
      });
    assert.equal(await balanceOf(env.BOB_ADDRESS!), payout);
    assert.equal(await balanceOf(env.ALICE_ADDRESS!), 10n ** 21n - payout);
    // The log lines the doc points at.
    const aliceLog = await readFile(join(dir, 'alice.log'), 'utf8');
    for (const msg of ['settlement: channel opened', 'settlement: claim sent', 'settlement: channel closed'])
      assert.ok(aliceLog.includes(`"msg":"${msg}"`), `alice.log has "${msg}"`);
  });
});
