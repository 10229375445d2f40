/**
 * `connector address -c FILE` (alias `connector keys`): the settlement address of the configured
 * key backend (`security.keyBackend`, KEY_BACKEND), so an operator can fund it before the first
 * start. stdout gets the address alone (or, with `--json`, the address, the backend and each
 * chain with its token); stderr says what to send where. Only the signer's address is ever read:
 * no key material is printed. Exit 0, or 1 when the config or the key is unusable.
 */
import { ConfigLoader, type ResolvedConfig } from '../config/index.js';
import { openSigner } from '../keys/index.js';
import { redactUrl } from '../keys/redact.js';
import { resolveChains, type SettlementChain } from '../settlement/index.js';
import { ConfigurationError, ConnectorError } from '../utils/errors.js';

export interface AddressOptions {
  readonly json?: boolean | undefined;
}

/** Chains to fund on; unresolvable ones are left to `connector validate` (said on stderr). */
function chainsOf(config: ResolvedConfig): SettlementChain[] {
  try {
    return resolveChains(config);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    console.error(
      'chains could not be resolved (see `connector validate`); the address does not depend on them',
    );
    return [];
  }
}

function fundingHint(chain: SettlementChain): string {
  const where = chain.preset === undefined ? `${chain.chainId}` : `${chain.preset.label}, ${chain.chainId}`;
  const token = chain.tokenAddress ?? 'the token (not configured)';
  return `  ${chain.name} (${where}): native ETH for gas, and ${token} for channel deposits`;
}

export async function addressCommand(file: string, options: AddressOptions = {}): Promise<number> {
  try {
    const config = ConfigLoader.load(file);
    // Awaited: a KMS signer reads its public key from the service before it knows its address.
    const signer = await openSigner(config);
    const chains = chainsOf(config);
    if (options.json === true) {
      const body = {
        address: signer.address,
        keyBackend: signer.backend,
        chains: chains.map((c) => ({
          name: c.name,
          chainId: c.chainId,
          rpcUrl: redactUrl(c.rpcUrl),
          tokenAddress: c.tokenAddress ?? null,
        })),
      };
      console.log(JSON.stringify(body, null, 2));
      return 0;
    }
    console.log(signer.address);
    console.error(`settlement address of key backend ${signer.backend}; fund it before the first start:`);
    for (const chain of chains) console.error(fundingHint(chain));
    return 0;
  } catch (error) {
    if (error instanceof ConfigurationError) {
      console.error(`connector address: ${error.issues.length} problem(s)`);
      for (const issue of error.issues) console.error(`  - ${issue.path || '(root)'}: ${issue.message}`);
      return 1;
    }
    if (error instanceof ConnectorError) {
      console.error(`connector address: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
