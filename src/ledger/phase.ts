/**
 * The lifecycle every backend shares: `new`, `open` (the journal passes through `opening`), then
 * `closed`, which is final. A call on a ledger that is not open fails with `ERR_LEDGER` (README.md,
 * "Transfers and results"); these helpers word that error once for every backend.
 */
import { ConnectorError } from '../utils/errors.js';

export type LedgerPhase = 'new' | 'opening' | 'open' | 'closed';

/** The error of a call made before `open` or after `close`; `label` names the ledger. */
export function notOpenError(label: string, phase: LedgerPhase): ConnectorError {
  return new ConnectorError('ERR_LEDGER', `${label} is ${phase === 'closed' ? 'closed' : 'not open'}`);
}

/** Undefined while open, else the error, returned so the hot path needs no try/catch. */
export function checkOpen(label: string, phase: LedgerPhase): ConnectorError | undefined {
  return phase === 'open' ? undefined : notOpenError(label, phase);
}
