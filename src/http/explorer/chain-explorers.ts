/** Block explorers of the public chains the connector settles on, by EIP-155 chain id. */
const EXPLORER_BY_CHAIN_ID: ReadonlyMap<number, string> = new Map([
  [8453, 'https://basescan.org'],
  [84532, 'https://sepolia.basescan.org'],
  [42161, 'https://arbiscan.io'],
  [421614, 'https://sepolia.arbiscan.io'],
]);

/** The explorer's base URL (append `/address/<0x...>` or `/tx/<hash>`); undefined for other chains. */
export function blockExplorerUrl(chainId: number): string | undefined {
  return EXPLORER_BY_CHAIN_ID.get(chainId);
}
