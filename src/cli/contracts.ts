/**
 * `connector contracts deploy --rpc URL [--token ADDRESS]`: deploys the TokenNetworkRegistry
 * and the token's TokenNetwork (and a TestToken on a dev chain when no token is given), then
 * prints the addresses as JSON on stdout. The key comes from `--config` (its settlementInfra
 * and security sections, env overrides applied) or else from KEY_BACKEND and EVM_PRIVATE_KEY.
 * Exit 0 on success, 1 when the deployment fails, 2 on bad arguments.
 */
import { isAddress } from 'viem';
import { ConfigLoader } from '../config/index.js';
import { KEY_BACKENDS, type KeyBackend } from '../config/schema.js';
import { PRIVATE_KEY_ENV } from '../keys/env-key.js';
import { type OpenSignerConfig, openSigner } from '../keys/open-signer.js';
import {
  type ChallengePeriodBounds,
  DEFAULT_CHALLENGE_PERIOD_BOUNDS,
  deployContracts,
} from '../settlement/index.js';

export interface ContractsDeployOptions {
  readonly rpc: string;
  readonly token?: string | undefined;
  /** A connector config file to take the signing key from. */
  readonly config?: string | undefined;
  /** Refuse to deploy unless the RPC serves this chain. */
  readonly chainId?: string | number | undefined;
  readonly challengeMinSeconds?: string | number | undefined;
  readonly challengeMaxSeconds?: string | number | undefined;
  /** Where KEY_BACKEND and EVM_PRIVATE_KEY are read; default process.env. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export class UsageError extends Error {}

export function positiveInt(
  value: string | number | undefined,
  name: string,
  fallback?: number,
): number | undefined {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive integer`);
  return n;
}

export function keyConfig(opts: {
  config?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}): OpenSignerConfig {
  if (opts.config !== undefined) return ConfigLoader.load(opts.config);
  const env = opts.env ?? process.env;
  const backend =
    env.KEY_BACKEND === undefined || env.KEY_BACKEND === '' ? 'env' : env.KEY_BACKEND.toLowerCase();
  if (!(KEY_BACKENDS as readonly string[]).includes(backend)) {
    throw new UsageError(`KEY_BACKEND must be one of ${KEY_BACKENDS.join(', ')}`);
  }
  const set = (name: string) => (env[name] === '' ? undefined : env[name]);
  return {
    security: {
      keyBackend: backend as KeyBackend,
      awsKms: { keyId: set('AWS_KMS_KEY_ID'), region: set('AWS_REGION'), endpoint: set('AWS_KMS_ENDPOINT') },
      gcpKms: { keyName: set('GCP_KMS_KEY_NAME'), apiEndpoint: set('GCP_KMS_API_ENDPOINT') },
      azureKeyVault: {
        vaultUrl: set('AZURE_KEY_VAULT_URL'),
        keyName: set('AZURE_KEY_NAME'),
        keyVersion: set('AZURE_KEY_VERSION'),
      },
    },
    settlementInfra: { privateKey: env[PRIVATE_KEY_ENV] },
  };
}

function bounds(opts: ContractsDeployOptions): ChallengePeriodBounds {
  const d = DEFAULT_CHALLENGE_PERIOD_BOUNDS;
  return {
    challengePeriodMinSeconds: positiveInt(
      opts.challengeMinSeconds,
      '--challenge-min',
      d.challengePeriodMinSeconds,
    )!,
    challengePeriodMaxSeconds: positiveInt(
      opts.challengeMaxSeconds,
      '--challenge-max',
      d.challengePeriodMaxSeconds,
    )!,
  };
}

export async function contractsDeployCommand(opts: ContractsDeployOptions): Promise<number> {
  let deployment: Parameters<typeof deployContracts>[0];
  try {
    if (!/^https?:\/\//i.test(opts.rpc)) throw new UsageError('--rpc must be an http(s) URL');
    if (opts.token !== undefined && !isAddress(opts.token, { strict: false })) {
      throw new UsageError('--token must be an EVM address (0x + 40 hex)');
    }
    deployment = {
      rpcUrl: opts.rpc,
      signer: await openSigner(keyConfig(opts)),
      token: opts.token as `0x${string}` | undefined,
      chainId: positiveInt(opts.chainId, '--chain-id'),
      bounds: bounds(opts),
    };
  } catch (error) {
    console.error(`connector contracts deploy: ${(error as Error).message}`);
    return error instanceof UsageError ? 2 : 1;
  }
  try {
    const deployed = await deployContracts(deployment);
    console.log(JSON.stringify(deployed, null, 2));
    return 0;
  } catch (error) {
    console.error(`connector contracts deploy failed: ${(error as Error).message}`);
    return 1;
  }
}
