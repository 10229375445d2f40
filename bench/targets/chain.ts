/**
 * The settlement chain of a run (target `ours-settling`), in its own process: anvil from npm on a
 * free loopback port, the contracts deployed once (registry, TestToken, its TokenNetwork) and
 * tokens minted to the dev keys the settling nodes sign with: test/settlement/chain-fixture.ts,
 * as the node tests use it. Tells the orchestrator where the chain is and which keys to use.
 *
 * Anvil is this process's child, and anvil.ts kills it when this process exits or gets SIGTERM or
 * SIGINT; this process exits when the orchestrator goes away (its IPC channel closes), so a
 * killed run leaves no chain behind. The orchestrator must never import anvil.ts itself: its
 * signal hooks re-raise the signal before the orchestrator has stopped its children.
 *
 *   node dist/bench/targets/chain.js '{"chainId":8453}'
 */
import { ANVIL_KEYS } from '../../test/settlement/anvil.js';
import { addressOf, startTestChain } from '../../test/settlement/chain-fixture.js';
import { die, optionsFromArgv, tell } from '../harness/messages.js';

export interface ChainOptions {
  chainId: number;
}

async function main(): Promise<void> {
  const { chainId } = optionsFromArgv<ChainOptions>();
  process.once('disconnect', () => process.exit(0));
  const chain = await startTestChain(chainId);
  // ANVIL_KEYS[0] deployed the contracts; the others got the minted tokens.
  const keys = ANVIL_KEYS.slice(1).map((privateKey) => ({ privateKey, address: addressOf(privateKey) }));
  tell({
    type: 'chain',
    chain: {
      rpcUrl: chain.anvil.rpcUrl,
      chainId,
      token: chain.token,
      registry: chain.registry,
      tokenNetwork: chain.tokenNetwork,
      keys,
    },
  });
}

main().catch(die);
