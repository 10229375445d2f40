/**
 * Claims signed per second by each KMS signer, through the real SDKs against the local doubles of
 * test/keys/kms (the same ones the tests use), next to the env key. Each claim is an EIP-712
 * BalanceProof signed as settlement signs it. Not part of the test run.
 *
 * The double signs in this process, on the same cores as the client, and adds no network latency:
 * the numbers are the signer's and SDK's own cost plus one secp256k1 signature and recovery, an
 * upper bound for a real KMS, whose round trip and per-account quota dominate.
 *
 *   npm run build && node dist/bench/kms-bench.js [claims] [inFlight...]
 */
import { pathToFileURL } from 'node:url';
import { EnvKeySigner, openKmsSigner, type Signer } from '../src/keys/index.js';
import { signClaim } from '../src/settlement/index.js';
import { KMS_BACKEND_NAMES, startKmsFixture } from '../test/keys/kms/backends.js';
import { TestKey } from '../test/keys/kms/test-key.js';

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const REF = {
  chainId: 8453,
  tokenNetwork: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  channelId: `0x${'ab'.repeat(32)}`,
} as const;

export interface KmsBenchResult {
  backend: string;
  inFlight: number;
  claims: number;
  claimsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function measure(
  backend: string,
  signer: Signer,
  claims: number,
  inFlight: number,
): Promise<KmsBenchResult> {
  let nonce = 0n;
  const latencies: number[] = [];
  const worker = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      nonce++;
      await signClaim(signer, REF, nonce, nonce * 1000n);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, () => worker(Math.min(50, claims)))); // warm-up
  latencies.length = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, () => worker(Math.ceil(claims / inFlight))));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    backend,
    inFlight,
    claims: latencies.length,
    claimsPerSec: Math.round(latencies.length / seconds),
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
  };
}

export async function runKmsBench(claims: number, inFlights: readonly number[]): Promise<KmsBenchResult[]> {
  const results: KmsBenchResult[] = [];
  for (const inFlight of inFlights) {
    results.push(await measure('env', EnvKeySigner.fromPrivateKey(KEY), claims, inFlight));
  }
  for (const backend of KMS_BACKEND_NAMES) {
    const fixture = await startKmsFixture(backend, new TestKey(KEY));
    const signer = await openKmsSigner(
      fixture.security({ maxConcurrentSigns: Math.max(...inFlights) }),
      fixture.hooks(),
    );
    try {
      for (const inFlight of inFlights) results.push(await measure(backend, signer, claims, inFlight));
    } finally {
      await signer.close();
      await fixture.double.stop();
    }
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const claims = Number(process.argv[2] ?? 2_000);
  const inFlights = process.argv.slice(3).map(Number);
  const results = await runKmsBench(claims, inFlights.length > 0 ? inFlights : [1, 8]);
  console.table(results);
  console.log(JSON.stringify({ date: new Date().toISOString(), results }));
}
