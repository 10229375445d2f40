// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TestToken} from "../../src/TestToken.sol";
import {TokenNetwork} from "../../src/TokenNetwork.sol";
import {TokenNetworkRegistry} from "../../src/TokenNetworkRegistry.sol";
import {vm} from "./Vm.sol";

/// @notice Shared fixture: a registry, a 6-decimals test token, its TokenNetwork, and three
/// keys (sender, receiver, stranger). Signatures are built here from first principles
/// (EIP-712 encoded by hand), not with the contract's own digest helpers.
abstract contract ChannelTest {
    uint256 internal constant SENDER_KEY = 0xA11CE;
    uint256 internal constant RECEIVER_KEY = 0xB0B;
    uint256 internal constant STRANGER_KEY = 0x57A2;
    uint32 internal constant PERIOD_MIN = 10 minutes;
    uint32 internal constant PERIOD_MAX = 30 days;
    uint32 internal constant PERIOD = 1 hours;
    uint128 internal constant DEPOSIT = 1_000_000;
    uint256 internal constant START_TIME = 1_700_000_000;
    /// @dev secp256k1 group order, to build the high-s twin of a signature.
    uint256 internal constant SECP256K1_N =
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant BALANCE_PROOF_TYPEHASH =
        keccak256("BalanceProof(bytes32 channelId,uint64 nonce,uint128 transferredAmount)");
    bytes32 internal constant COOPERATIVE_SETTLE_TYPEHASH =
        keccak256("CooperativeSettle(bytes32 channelId,uint128 transferredAmount)");

    address internal sender;
    address internal receiver;
    address internal stranger;
    TestToken internal token;
    TokenNetworkRegistry internal registry;
    TokenNetwork internal network;

    function setUp() public virtual {
        sender = vm.addr(SENDER_KEY);
        receiver = vm.addr(RECEIVER_KEY);
        stranger = vm.addr(STRANGER_KEY);
        vm.label(sender, "sender");
        vm.label(receiver, "receiver");
        vm.label(stranger, "stranger");
        vm.warp(START_TIME);

        token = new TestToken("Test", "TST", 6);
        registry = new TokenNetworkRegistry(PERIOD_MIN, PERIOD_MAX);
        network = TokenNetwork(registry.createTokenNetwork(address(token)));
        _fund(sender, network, 10 * uint256(DEPOSIT));
        _fund(stranger, network, 10 * uint256(DEPOSIT));
    }

    function _fund(address who, TokenNetwork net, uint256 amount) internal {
        // Read the token first: a prank applies to the very next call, net.token() included.
        TestToken netToken = TestToken(address(net.token()));
        netToken.mint(who, amount);
        vm.prank(who);
        netToken.approve(address(net), type(uint256).max);
    }

    function _open(uint128 amount) internal returns (bytes32 channelId) {
        vm.prank(sender);
        channelId = network.openChannel(receiver, PERIOD, amount);
    }

    function _domainSeparator(address verifyingContract, uint256 chainId) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("TokenNetwork"), keccak256("1"), chainId, verifyingContract)
        );
    }

    function _proofDigest(address verifyingContract, uint256 chainId, bytes32 channelId, uint64 nonce, uint128 amount)
        internal
        pure
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(BALANCE_PROOF_TYPEHASH, channelId, nonce, amount));
        return keccak256(abi.encodePacked("\x19\x01", _domainSeparator(verifyingContract, chainId), structHash));
    }

    function _settleDigest(address verifyingContract, uint256 chainId, bytes32 channelId, uint128 amount)
        internal
        pure
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(COOPERATIVE_SETTLE_TYPEHASH, channelId, amount));
        return keccak256(abi.encodePacked("\x19\x01", _domainSeparator(verifyingContract, chainId), structHash));
    }

    /// @dev 65 bytes r ‖ s ‖ v, v in {27, 28}, low s: what viem's signTypedData produces.
    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev The sender's balance proof for `network` on the current chain.
    function _proof(bytes32 channelId, uint64 nonce, uint128 amount) internal view returns (bytes memory) {
        return _sign(SENDER_KEY, _proofDigest(address(network), block.chainid, channelId, nonce, amount));
    }

    function _redeem(bytes32 channelId, uint64 nonce, uint128 amount) internal {
        bytes memory signature = _proof(channelId, nonce, amount);
        vm.prank(receiver);
        network.redeem(channelId, nonce, amount, signature);
    }

    function _balance(address who) internal view returns (uint256) {
        return token.balanceOf(who);
    }
}
