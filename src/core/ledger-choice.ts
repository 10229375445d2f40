/**
 * Which ledger a node keeps its books in (DESIGN §6). Interim: the memory ledger; the journal
 * and TigerBeetle backends are being added (issue 5).
 */
import type { ResolvedConfig } from '../config/index.js';
import { type Ledger, MemoryLedger } from '../ledger/index.js';
import type { Logger } from '../utils/logger.js';

export function defaultLedger(_config: ResolvedConfig, _logger: Logger): Ledger {
  return new MemoryLedger();
}

export async function openLedger(
  _config: ResolvedConfig,
  _logger: Logger,
  fallback: Ledger,
): Promise<Ledger> {
  await fallback.open();
  return fallback;
}
