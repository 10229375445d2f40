/** `connector setup|start|health|validate|address|contracts|channels|demo` (the spec's CLI and ours). Returns the process exit code. */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../utils/version.js';
import { envNameOf, type OptionValues, SETUP_OPTIONS } from './setup/options.js';

// Each command is loaded when it runs: `connector setup` need not load the node, nor
// `connector start` the wizard.

interface AdminOptions {
  url: string;
  apiKey?: string;
  timeout: string;
}

/** `connector channels ...`: each subcommand takes the admin API's URL and key. */
function addChannelsCommands(program: Command, done: (code: number) => void): void {
  const channels = program
    .command('channels')
    .description("a running node's payment channels and wallet, through its admin API");
  const sub = (name: string, description: string) =>
    channels
      .command(name)
      .description(description)
      .option('-u, --url <url>', 'base URL of the admin API', 'http://127.0.0.1:8081')
      .option('-k, --api-key <key>', 'admin API key (default: ADMIN_API_KEY)')
      .option(
        '-t, --timeout <ms>',
        'request timeout in ms (a close or deposit waits for its transaction)',
        '120000',
      );
  type Action = import('./channels.js').ChannelsAction;
  const run = async (opts: AdminOptions, action: Action) => {
    const target = {
      url: opts.url,
      apiKey: opts.apiKey ?? process.env.ADMIN_API_KEY,
      timeoutMs: Number(opts.timeout),
    };
    done(await (await import('./channels.js')).channelsCommand(target, action));
  };
  sub('list', 'every channel of the node, settled ones included')
    .option('--json', 'print the JSON answer instead of a table')
    .action((opts: AdminOptions & { json?: boolean }) =>
      run(opts, { kind: 'list', json: opts.json === true }),
    );
  sub('show', 'one channel')
    .argument('<channelId>')
    .action((channelId: string, opts: AdminOptions) => run(opts, { kind: 'show', channelId }));
  sub('open', "open a channel to the peer's evmAddress (or deposit into the open one)")
    .argument('<peerId>')
    .argument('<amount>', 'token base units')
    .action((peerId: string, amount: string, opts: AdminOptions) =>
      run(opts, { kind: 'open', peerId, amount }),
    );
  sub('topup', 'deposit more into our open channel')
    .argument('<channelId>')
    .argument('<amount>', 'token base units')
    .action((channelId: string, amount: string, opts: AdminOptions) =>
      run(opts, { kind: 'topup', channelId, amount }),
    );
  sub('close', 'close a channel: cooperatively when the peer co-signs, else unilaterally')
    .argument('<channelId>')
    .option('--unilateral', 'do not ask the peer to co-sign: start the challenge period')
    .action((channelId: string, opts: AdminOptions & { unilateral?: boolean }) =>
      run(opts, { kind: 'close', channelId, unilateral: opts.unilateral === true }),
    );
  sub(
    'settle',
    'settle now: a claim (ours, open), the settle transaction (ours, closing), a redemption (theirs)',
  )
    .argument('<channelId>')
    .action((channelId: string, opts: AdminOptions) => run(opts, { kind: 'settle', channelId }));
  sub('wallet', "the node's token and ETH balance on each chain").action((opts: AdminOptions) =>
    run(opts, { kind: 'wallet' }),
  );
  sub('withdraw', "send tokens from the node's wallet (what settled channels returned)")
    .argument('<to>', 'EVM address')
    .argument('<amount>', 'token base units')
    .option('--chain <name>', 'configured chain (default: the first)')
    .action((to: string, amount: string, opts: AdminOptions & { chain?: string }) =>
      run(opts, { kind: 'withdraw', to, amount, chain: opts.chain }),
    );
}

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
      exitCode = await (await import('./start.js')).startCommand(opts.config);
    });

  program
    .command('health')
    .description("query a connector's health endpoint")
    .option('-u, --url <url>', 'base URL of the health server', 'http://localhost:8080')
    .option('-t, --timeout <ms>', 'request timeout in ms', '5000')
    .action(async (opts: { url: string; timeout: string }) => {
      exitCode = await (await import('./health.js')).healthCommand(opts.url, Number(opts.timeout));
    });

  program
    .command('validate')
    .description('validate a config file and list every problem')
    .argument('<file>', 'YAML config file')
    .action(async (file: string) => {
      exitCode = (await import('./validate.js')).validateCommand(file);
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
      exitCode = await (await import('./address.js')).addressCommand(opts.config, { json: opts.json });
    });

  const contracts = program.command('contracts').description('payment channel contracts (docs/contracts.md)');
  contracts
    .command('fund')
    .description('test tokens and ETH for an address, on a dev chain or a testnet only (prints JSON)')
    .requiredOption('--rpc <url>', 'JSON-RPC endpoint of the chain')
    .requiredOption('--to <address>', 'the address to fund')
    .option('--token <address>', 'ERC-20 to give (minted when the funder may mint, else transferred)')
    .option('--amount <units>', 'token base units to give (with --token)')
    .option('--eth <ether>', 'ether to send, e.g. 1 or 0.5')
    .option('-c, --config <file>', 'connector config to take the funding key from (else EVM_PRIVATE_KEY)')
    .option('--chain-id <id>', 'refuse unless the RPC serves this chain')
    .action(
      async (opts: {
        rpc: string;
        to: string;
        token?: string;
        amount?: string;
        eth?: string;
        config?: string;
        chainId?: string;
      }) => {
        exitCode = await (await import('./fund.js')).contractsFundCommand(opts);
      },
    );
  contracts
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
        exitCode = await (await import('./contracts.js')).contractsDeployCommand({
          rpc: opts.rpc,
          token: opts.token,
          config: opts.config,
          chainId: opts.chainId,
          challengeMinSeconds: opts.challengeMin,
          challengeMaxSeconds: opts.challengeMax,
        });
      },
    );

  addChannelsCommands(program, (code) => {
    exitCode = code;
  });

  const setup = program
    .command('setup')
    .description('onboarding wizard: writes config.yaml and .env (secrets, mode 0600)')
    .option('-y, --yes', 'ask nothing: take flags, CONNECTOR_SETUP_* variables and defaults')
    .option('-f, --force', 'overwrite an existing config.yaml or .env')
    .option('-d, --dir <dir>', 'where to write config.yaml and .env', '.');
  for (const o of SETUP_OPTIONS) {
    const flag = `--${o.name} ${o.arg}`;
    const description = `${o.description} [${envNameOf(o)}${o.env === undefined ? '' : ` or ${o.env}`}]`;
    if (o.repeat) setup.option(flag, description, (v: string, all: string[]) => [...all, v], [] as string[]);
    else setup.option(flag, description);
  }
  setup.action(async (opts: OptionValues & { yes?: boolean; force?: boolean; dir: string }) => {
    exitCode = await (await import('./setup/setup.js')).setupCommand({
      yes: opts.yes === true,
      force: opts.force === true,
      dir: opts.dir,
      flags: opts,
    });
  });

  program
    .command('demo')
    .description('a small network on this machine: anvil, three connectors, STREAM payments, settlement')
    .option('--duration <seconds>', 'stop after this many seconds (default: run until Ctrl-C)')
    .option('--rate <packets>', 'packets per second of the steady flow', '20')
    .option('--nodes <n>', 'connectors: 3 (alice, hub, bob) or more (more children of hub)', '3')
    .action(async (opts: { duration?: string; rate: string; nodes: string }) => {
      exitCode = await (await import('./demo/demo.js')).demoCommand(opts);
    });

  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return exitCode;
}
