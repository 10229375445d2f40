/**
 * `connector contracts fund --rpc URL --to ADDRESS [--token ADDRESS --amount N] [--eth ETHER]`:
 * test tokens (minted when the token allows it, else transferred) and ETH for an address, on a
 * dev chain or a testnet only. The funder's key comes from `--config` or KEY_BACKEND and
 * EVM_PRIVATE_KEY, as for `contracts deploy`. Prints what was sent as JSON (amounts as decimal
 * strings). Exit 0 on success, 1 when funding fails or the chain is not a test chain, 2 on bad
 * arguments.
 */
import { type Address, getAddress, isAddress, parseEther } from 'viem';
import { openSigner } from '../keys/open-signer.js';
import { fundAddress } from '../settlement/index.js';
import { keyConfig, positiveInt, UsageError } from './contracts.js';

export interface ContractsFundOptions {
  readonly rpc: string;
  readonly to: string;
  readonly token?: string | undefined;
  /** Token base units. */
  readonly amount?: string | undefined;
  /** Ether, decimal (e.g. 1 or 0.5). */
  readonly eth?: string | undefined;
  readonly config?: string | undefined;
  readonly chainId?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
}

function address(value: string | undefined, flag: string): Address | undefined {
  if (value === undefined) return undefined;
  if (!isAddress(value, { strict: false }))
    throw new UsageError(`${flag} must be an EVM address (0x + 40 hex)`);
  // Any case is accepted; viem wants the checksummed form.
  return getAddress(value.toLowerCase());
}

function parseArgs(opts: ContractsFundOptions) {
  if (!/^https?:\/\//i.test(opts.rpc)) throw new UsageError('--rpc must be an http(s) URL');
  const to = address(opts.to, '--to')!;
  const token = address(opts.token, '--token');
  if ((token === undefined) !== (opts.amount === undefined))
    throw new UsageError('--token and --amount go together');
  if (opts.amount !== undefined && !/^[1-9][0-9]{0,77}$/.test(opts.amount))
    throw new UsageError('--amount must be a positive integer of token base units');
  if (opts.eth !== undefined && !/^(0|[1-9][0-9]{0,9})(\.[0-9]{1,18})?$/.test(opts.eth))
    throw new UsageError('--eth must be an amount of ether, e.g. 1 or 0.5');
  if (token === undefined && opts.eth === undefined)
    throw new UsageError('nothing to send: give --token and --amount, or --eth');
  return {
    to,
    token,
    tokenAmount: opts.amount === undefined ? undefined : BigInt(opts.amount),
    wei: opts.eth === undefined ? undefined : parseEther(opts.eth),
    chainId: positiveInt(opts.chainId, '--chain-id'),
  };
}

export async function contractsFundCommand(opts: ContractsFundOptions): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  let signer: Awaited<ReturnType<typeof openSigner>>;
  try {
    args = parseArgs(opts);
    signer = await openSigner(keyConfig(opts));
  } catch (error) {
    console.error(`connector contracts fund: ${(error as Error).message}`);
    return error instanceof UsageError ? 2 : 1;
  }
  try {
    const result = await fundAddress({ rpcUrl: opts.rpc, signer, ...args });
    console.log(
      JSON.stringify(result, (_key, value) => (typeof value === 'bigint' ? value.toString() : value), 2),
    );
    return 0;
  } catch (error) {
    console.error(`connector contracts fund failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await signer.close?.();
  }
}
