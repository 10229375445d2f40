/**
 * Run by tigerbeetle.test.ts in a child process, so that the native client's threads and its
 * stderr warnings stay out of the test runner: opens a TigerBeetleLedger with the real
 * tigerbeetle-node client against a closed loopback port, prints one JSON line with the outcome,
 * and returns without exiting explicitly: the process must end by itself once the client is destroyed.
 */
import { TigerBeetleLedger } from '../../src/ledger/index.js';
import { silentLogger } from '../../src/utils/logger.js';
import { freePort } from '../helpers/ports.js';

const connectTimeoutMs = Number(process.argv[2] ?? 500);
const port = await freePort();
const ledger = new TigerBeetleLedger({
  clusterId: 0n,
  replicaAddresses: [`127.0.0.1:${port}`],
  connectTimeoutMs,
  logger: silentLogger(),
});
const started = performance.now();
try {
  await ledger.open();
  console.log(JSON.stringify({ opened: true }));
  await ledger.close();
} catch (e) {
  const { code, message } = e as { code?: string; message?: string };
  console.log(JSON.stringify({ opened: false, code, message, elapsedMs: performance.now() - started }));
}
