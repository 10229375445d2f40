/**
 * The ledger conformance suite: every backend calls `runLedgerConformance` from its own test file
 * and must pass all of it. The rules it asserts are listed in src/ledger/README.md.
 */
import { describe } from 'node:test';
import {
  registerExpiryTests,
  registerLifecycleTests,
  registerVoidExpiredTests,
} from './conformance-lifecycle.js';
import { registerArgumentTests, registerLimitTests } from './conformance-limits.js';
import { registerModelTests } from './conformance-model.js';
import {
  registerAccountTests,
  registerIdempotencyTests,
  registerRefusalTests,
  registerTransferTests,
} from './conformance-transfers.js';
import type { ConformanceOptions, LedgerFactory } from './fixture.js';

export type { ConformanceOptions, LedgerFactory } from './fixture.js';
export { ManualClock } from './fixture.js';

/**
 * Registers the suite with node:test. `makeLedger` returns a new, unopened ledger each call; pass
 * `opts.clock` when the ledgers read that clock, else tests that need time to pass are skipped.
 */
export function runLedgerConformance(
  name: string,
  makeLedger: LedgerFactory,
  opts: ConformanceOptions = {},
): void {
  describe(`ledger conformance: ${name}`, () => {
    registerAccountTests(makeLedger, opts);
    registerTransferTests(makeLedger, opts);
    registerRefusalTests(makeLedger, opts);
    registerIdempotencyTests(makeLedger, opts);
    registerLimitTests(makeLedger, opts);
    registerArgumentTests(makeLedger, opts);
    registerExpiryTests(makeLedger, opts);
    registerVoidExpiredTests(makeLedger, opts);
    registerLifecycleTests(makeLedger);
    registerModelTests(makeLedger, opts);
  });
}
