/** `connector setup|start|health|validate|address|contracts` (the spec's CLI and ours). Returns the process exit code. */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../utils/version.js';
import { addressCommand } from './address.js';
import { contractsDeployCommand } from './contracts.js';
import { healthCommand } from './health.js';
import { startCommand } from './start.js';
import { validateCommand } from './validate.js';

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('connector')
    .description('Interledger connector node: BTP peering, routing, accounting')
    .version(VERSION)
    .exitOverride();

  program
    .command('start')
    .description('start a connector and run it until SIGINT/SIGTERM')
    .requiredOption('-c, --config <file>', 'YAML config file')
    .action(async (opts: { config: string }) => {
      exitCode = await startCommand(opts.config);
    });

  program
    .command('health')
    .description("query a connector's health endpoint")
    .option('-u, --url <url>', 'base URL of the health server', 'http://localhost:8080')
    .option('-t, --timeout <ms>', 'request timeout in ms', '5000')
    .action(async (opts: { url: string; timeout: string }) => {
      exitCode = await healthCommand(opts.url, Number(opts.timeout));
    });

  program
    .command('validate')
    .description('validate a config file and list every problem')
    .argument('<file>', 'YAML config file')
    .action((file: string) => {
      exitCode = validateCommand(file);
    });

  program
    .command('address')
    .alias('keys')
    .description(
      'print the settlement address of the configured key backend, to fund it before the first start',
    )
    .requiredOption('-c, --config <file>', 'YAML config file (its key backend; env overrides apply)')
    .option('--json', 'print the address, the key backend and the chains to fund as JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      exitCode = await addressCommand(opts.config, { json: opts.json });
    });

  program
    .command('contracts')
    .description('payment channel contracts (docs/contracts.md)')
    .command('deploy')
    .description('deploy the TokenNetworkRegistry and a TokenNetwork; prints the addresses as JSON')
    .requiredOption('--rpc <url>', 'JSON-RPC endpoint of the chain')
    .option('--token <address>', 'ERC-20 to open a TokenNetwork for (default: a TestToken, dev chains only)')
    .option('-c, --config <file>', 'connector config to take the signing key from (else EVM_PRIVATE_KEY)')
    .option('--chain-id <id>', 'refuse unless the RPC serves this chain')
    .option('--challenge-min <seconds>', 'shortest challenge period a channel may choose')
    .option('--challenge-max <seconds>', 'longest challenge period a channel may choose')
    .action(
      async (opts: {
        rpc: string;
        token?: string;
        config?: string;
        chainId?: string;
        challengeMin?: string;
        challengeMax?: string;
      }) => {
        exitCode = await contractsDeployCommand({
          rpc: opts.rpc,
          token: opts.token,
          config: opts.config,
          chainId: opts.chainId,
          challengeMinSeconds: opts.challengeMin,
          challengeMaxSeconds: opts.challengeMax,
        });
      },
    );

  program
    .command('setup')
    .description('interactive onboarding wizard (not available in this version)')
    .action(() => {
      console.error('connector setup is not available in this version; start from examples/config.yaml');
      exitCode = 2;
    });

  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return exitCode;
}
