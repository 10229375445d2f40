export { testTokenAbi, tokenNetworkAbi, tokenNetworkRegistryAbi } from './abi.js';
export { AccountManager, SETTLEMENT_ACCOUNT } from './account-manager.js';
export type { ContractName } from './artifacts.js';
export { contractBytecode } from './artifacts.js';
export type { ChainClientOptions, TxResult } from './chain-client.js';
export { ChainClient } from './chain-client.js';
export type { ChainRuntime, ChainSpec, SettlementSpec } from './chain-setup.js';
export { connectChain, SETTLEMENT_DEFAULTS, settlementSpec } from './chain-setup.js';
export type {
  ChannelStatus,
  CooperativeClose,
  IncomingChannel,
  OutgoingChannel,
  SettlementState,
} from './channel-store.js';
export { ChannelStore, emptySettlementState } from './channel-store.js';
export type { Claim, ClaimExpectation, ClaimRefusal, ClaimVerdict } from './claim.js';
export { CLAIM_REFUSALS, signClaim, signCooperativeSettle, verifyClaim } from './claim.js';
export {
  CLAIM_CODEC_VERSION,
  CLAIM_SUB_PROTOCOL,
  CLAIM_WIRE_LENGTH,
  CLOSE_SUB_PROTOCOL,
  decodeClaim,
  encodeClaim,
} from './claim-codec.js';
export type { DeployedContracts, DeployOptions, TestTokenSpec } from './deploy.js';
export { DEFAULT_CHALLENGE_PERIOD_BOUNDS, DEFAULT_TEST_TOKEN, deployContracts } from './deploy.js';
export { SettlementEngine } from './engine.js';
export type { ChainErrorDetails, ChainErrorKind } from './errors.js';
export { ChainError } from './errors.js';
export type { NetworkConfig, NetworkMode, SettlementChain } from './networks.js';
export { chainById, NETWORK_PRESETS, resolveChains } from './networks.js';
export type { RetryOptions } from './retry.js';
export { DEFAULT_CHAIN_RETRY, retryChain } from './retry.js';
export { SettlementContext } from './settlement-context.js';
export type { SettleReason } from './settlement-executor.js';
export { UnifiedSettlementExecutor } from './settlement-executor.js';
export { SettlementMonitor } from './settlement-monitor.js';
export type {
  ChannelView,
  ClaimLink,
  SettlementEngineOptions,
  SettlementEvent,
  SettlementPeer,
  SettlementStats,
} from './settlement-types.js';
export type { ChallengePeriodBounds, ChannelState } from './token-network.js';
export { TokenNetworkClient } from './token-network.js';
export type { ChannelRef } from './typed-data.js';
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
} from './typed-data.js';
export { AssetUnits } from './units.js';
