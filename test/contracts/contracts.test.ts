/**
 * The contracts part of `npm test` (DESIGN §7): the checked-in artifacts match a fresh solc-js
 * build, and the forge suite (every channel path and the attacks) passes. forge runs offline,
 * compiling through the solc-js shim in contracts/solc-shim; where its binary cannot run on
 * this platform the forge test is skipped with the reason.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = process.cwd();
const CONTRACTS_DIR = join(ROOT, 'contracts');
const FORGE = join(ROOT, 'node_modules', '.bin', 'forge');
const SOLC_SHIM = join(CONTRACTS_DIR, 'solc-shim', 'solc');
const CHECK_TIMEOUT_MS = 60_000;
const FORGE_TIMEOUT_MS = 100_000;
const OUTPUT_BYTES_MAX = 16 * 1024 * 1024;
const TAIL_CHARS = 4000;
/** forge's closing line: "Ran 5 test suites in 83ms (94ms CPU time): 58 tests passed, 0 failed, 0 skipped". */
const FORGE_SUMMARY = /(\d+) tests passed, (\d+) failed, (\d+) skipped/;

interface Outcome {
  ok: boolean;
  output: string;
}

async function runTool(file: string, args: string[], cwd: string, timeoutMs: number): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(file, args, {
      cwd,
      timeout: timeoutMs,
      maxBuffer: OUTPUT_BYTES_MAX,
      env: { ...process.env, FOUNDRY_OFFLINE: 'true', NO_COLOR: '1' },
    });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}\n${failed.message}` };
  }
}

function tail(text: string): string {
  return text.slice(-TAIL_CHARS);
}

/** Why forge cannot run here, or undefined when it can. */
async function forgeUnavailable(): Promise<string | undefined> {
  const probe = await runTool(FORGE, ['--version'], ROOT, 20_000);
  return probe.ok
    ? undefined
    : `forge binary cannot run on ${process.platform}/${process.arch}: ${tail(probe.output)}`;
}

describe('contracts', () => {
  it('checked-in artifacts match a fresh solc-js build', { timeout: CHECK_TIMEOUT_MS + 5_000 }, async () => {
    const check = await runTool(
      process.execPath,
      [join(ROOT, 'scripts', 'build-contracts.mjs'), '--check'],
      ROOT,
      CHECK_TIMEOUT_MS,
    );
    assert.ok(check.ok, `contracts:check failed:\n${tail(check.output)}`);
  });

  it('forge suite passes (paths and attacks)', { timeout: FORGE_TIMEOUT_MS + 25_000 }, async (t) => {
    const reason = await forgeUnavailable();
    if (reason !== undefined) {
      t.skip(reason);
      return;
    }
    // git keeps the executable bit, but an archive or a copy may drop it.
    try {
      accessSync(SOLC_SHIM, constants.X_OK);
    } catch {
      chmodSync(SOLC_SHIM, 0o755);
    }
    const result = await runTool(FORGE, ['test', '--color', 'never'], CONTRACTS_DIR, FORGE_TIMEOUT_MS);
    assert.ok(result.ok, `forge test failed:\n${tail(result.output)}`);
    const summary = FORGE_SUMMARY.exec(result.output);
    assert.ok(summary, `no forge summary line in:\n${tail(result.output)}`);
    const [, passed, failed] = summary;
    assert.equal(Number(failed), 0, tail(result.output));
    assert.ok(Number(passed) > 0, 'forge ran no test');
  });
});
