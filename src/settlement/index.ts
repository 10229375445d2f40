export { testTokenAbi, tokenNetworkAbi, tokenNetworkRegistryAbi } from './chain/abi.js';
export type { ContractName } from './chain/artifacts.js';
export { contractBytecode } from './chain/artifacts.js';
export type { ChainClientOptions, TxResult } from './chain/chain-client.js';
export { ChainClient } from './chain/chain-client.js';
export { ChainClients, type SharedClientOptions } from './chain/chain-clients.js';
export type { ChainIdCheck, ChainIdTarget } from './chain/chain-id.js';
export { checkChainIds, readChainId, wrongChainError } from './chain/chain-id.js';
export type { DeployedContracts, DeployOptions, TestTokenSpec } from './chain/deploy.js';
export { DEFAULT_CHALLENGE_PERIOD_BOUNDS, DEFAULT_TEST_TOKEN, deployContracts } from './chain/deploy.js';
export type { ChainErrorDetails, ChainErrorKind } from './chain/errors.js';
export { ChainError } from './chain/errors.js';
export type { FundOptions, FundResult } from './chain/fund.js';
export { fundAddress } from './chain/fund.js';
export type { ChainPreset, NetworkConfig, NetworkMode, SettlementChain } from './chain/networks.js';
export {
  chainById,
  DEV_CHAIN_IDS,
  isTestChainId,
  NETWORK_PRESETS,
  resolveChains,
  testChainIds,
} from './chain/networks.js';
export type { RetryOptions } from './chain/retry.js';
export { DEFAULT_CHAIN_RETRY, retryChain } from './chain/retry.js';
export type { ChainRuntime, ChainSpec } from './chain/runtime.js';
export { connectChain } from './chain/runtime.js';
export type { ChallengePeriodBounds, ChannelState } from './chain/token-network.js';
export { TokenNetworkClient } from './chain/token-network.js';
export type {
  ChannelStatus,
  CooperativeClose,
  IncomingChannel,
  OutgoingChannel,
  SettlementState,
} from './channels/channel-store.js';
export { ChannelStore, emptySettlementState } from './channels/channel-store.js';
export type { ChannelView } from './channels/channel-view.js';
export type { Claim, ClaimExpectation, ClaimRefusal, ClaimVerdict } from './claims/claim.js';
export { CLAIM_REFUSALS, signClaim, signCooperativeSettle, verifyClaim } from './claims/claim.js';
export {
  CLAIM_CODEC_VERSION,
  CLAIM_SUB_PROTOCOL,
  CLAIM_WIRE_LENGTH,
  CLOSE_SUB_PROTOCOL,
  decodeClaim,
  encodeClaim,
} from './claims/claim-codec.js';
export type { ChannelRef } from './claims/typed-data.js';
export {
  balanceProofDigest,
  balanceProofTypedData,
  balanceProofTypes,
  cooperativeSettleDigest,
  cooperativeSettleTypedData,
  cooperativeSettleTypes,
  DOMAIN_NAME,
  DOMAIN_VERSION,
  MAX_UINT64,
  MAX_UINT128,
} from './claims/typed-data.js';
export { AssetUnits } from './claims/units.js';
export { AccountManager, SETTLEMENT_ACCOUNT } from './engine/account-manager.js';
export { SettlementContext } from './engine/context.js';
export { SettlementEngine } from './engine/engine.js';
export type { SettleReason } from './engine/executor.js';
export { UnifiedSettlementExecutor } from './engine/executor.js';
export { SettlementMonitor } from './engine/monitor.js';
export type { SettlementSpec } from './engine/spec.js';
export { SETTLEMENT_DEFAULTS, settlementSpec } from './engine/spec.js';
export type {
  ClaimLink,
  SettlementEngineOptions,
  SettlementEvent,
  SettlementPeer,
  SettlementStats,
} from './engine/types.js';
