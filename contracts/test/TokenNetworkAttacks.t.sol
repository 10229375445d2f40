// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {TestToken} from "../src/TestToken.sol";
import {TokenNetwork} from "../src/TokenNetwork.sol";
import {ChannelTest} from "./utils/ChannelTest.sol";
import {vm} from "./utils/Vm.sol";

/// @notice A cheating or confused counterparty, or a stranger: stale and replayed proofs, proofs
/// for another channel, contract or chain, malleable and malformed signatures, and callers
/// that are not the participant a rule asks for. Each case checks the exact revert.
contract TokenNetworkAttacksTest is ChannelTest {
    bytes32 internal channelId;

    function setUp() public override {
        super.setUp();
        channelId = _open(DEPOSIT);
        _redeem(channelId, 5, 500);
    }

    // ------------------------------------------------------------ stale and replayed proofs

    function test_replayedProof_reverts() public {
        bytes memory signature = _proof(channelId, 5, 500);
        vm.prank(receiver);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.StaleProof.selector, 5, 5));
        network.redeem(channelId, 5, 500, signature);
    }

    function test_staleProof_lowerNonce_reverts() public {
        bytes memory signature = _proof(channelId, 4, 400);
        vm.prank(receiver);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.StaleProof.selector, 4, 5));
        network.redeem(channelId, 4, 400, signature);
    }

    function test_staleProof_cannotBeUsedToClose() public {
        bytes memory signature = _proof(channelId, 3, 300);
        vm.prank(receiver);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.StaleProof.selector, 3, 5));
        network.closeChannelWithProof(channelId, 3, 300, signature);
    }

    function test_newerNonceLowerAmount_reverts() public {
        bytes memory signature = _proof(channelId, 6, 499);
        vm.prank(receiver);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.AmountDecreased.selector, 499, 500));
        network.redeem(channelId, 6, 499, signature);
    }

    function test_claimBeyondDeposit_reverts() public {
        bytes memory signature = _proof(channelId, 6, DEPOSIT + 1);
        vm.prank(receiver);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.ClaimExceedsDeposit.selector, DEPOSIT + 1, DEPOSIT));
        network.redeem(channelId, 6, DEPOSIT + 1, signature);
    }

    function test_tamperedAmount_reverts() public {
        bytes memory signature = _proof(channelId, 6, 600);
        _expectWrongSigner(network.balanceProofDigest(channelId, 6, 900), signature);
        vm.prank(receiver);
        network.redeem(channelId, 6, 900, signature);
    }

    function test_proofOfSettledChannel_isDeadOnReopenedChannel() public {
        bytes memory old = _proof(channelId, 6, 600);
        vm.prank(receiver);
        network.closeChannel(channelId);
        vm.prank(receiver);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.UnknownChannel.selector, channelId));
        network.redeem(channelId, 6, 600, old);

        bytes32 reopened = _open(DEPOSIT);
        _expectWrongSigner(network.balanceProofDigest(reopened, 6, 600), old);
        vm.prank(receiver);
        network.redeem(reopened, 6, 600, old);
    }

    // ------------------------------------------------------------ another channel, contract, chain

    function test_proofForAnotherChannel_reverts() public {
        // The same sender also pays the stranger; that channel's proof is useless here.
        vm.prank(sender);
        bytes32 other = network.openChannel(stranger, PERIOD, DEPOSIT);
        bytes memory signature = _proof(other, 6, 600);
        _expectWrongSigner(network.balanceProofDigest(channelId, 6, 600), signature);
        vm.prank(receiver);
        network.redeem(channelId, 6, 600, signature);
    }

    function test_proofForAnotherContract_reverts() public {
        // Same token, same parties, a second deployment: its domain names another contract.
        TokenNetwork twin = new TokenNetwork(token, PERIOD_MIN, PERIOD_MAX);
        bytes memory signature = _sign(SENDER_KEY, _proofDigest(address(twin), block.chainid, channelId, 6, 600));
        _expectWrongSigner(network.balanceProofDigest(channelId, 6, 600), signature);
        vm.prank(receiver);
        network.redeem(channelId, 6, 600, signature);
    }

    function test_proofForAnotherChain_reverts() public {
        bytes memory signature = _sign(SENDER_KEY, _proofDigest(address(network), 8453, channelId, 6, 600));
        _expectWrongSigner(network.balanceProofDigest(channelId, 6, 600), signature);
        vm.prank(receiver);
        network.redeem(channelId, 6, 600, signature);
    }

    function test_proofAfterChainIdChange_reverts() public {
        // A proof signed before a fork does not replay on the forked chain: the domain
        // separator is rebuilt from the live chain id.
        bytes memory signature = _proof(channelId, 6, 600);
        vm.chainId(42161);
        _expectWrongSigner(network.balanceProofDigest(channelId, 6, 600), signature);
        vm.prank(receiver);
        network.redeem(channelId, 6, 600, signature);
    }

    // ------------------------------------------------------------ malleable and malformed signatures

    function test_highS_twin_reverts() public {
        bytes32 digest = _proofDigest(address(network), block.chainid, channelId, 6, 600);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SENDER_KEY, digest);
        bytes32 highS = bytes32(SECP256K1_N - uint256(s));
        uint8 flippedV = v == 27 ? 28 : 27;
        // The twin is a valid ecrecover signature for the same signer...
        vm.assertEq(ecrecover(digest, flippedV, r, highS), sender, "twin recovers the sender");
        // ...and is refused all the same.
        vm.prank(receiver);
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, highS));
        network.redeem(channelId, 6, 600, abi.encodePacked(r, highS, flippedV));
    }

    function test_vNotIn27or28_reverts() public {
        bytes32 digest = _proofDigest(address(network), block.chainid, channelId, 6, 600);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SENDER_KEY, digest);
        vm.prank(receiver);
        vm.expectRevert(ECDSA.ECDSAInvalidSignature.selector);
        network.redeem(channelId, 6, 600, abi.encodePacked(r, s, v - 27));
    }

    function test_compactSignature_reverts() public {
        // EIP-2098 64-byte form of the same signature: a second encoding, refused.
        bytes32 digest = _proofDigest(address(network), block.chainid, channelId, 6, 600);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SENDER_KEY, digest);
        bytes32 vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
        vm.prank(receiver);
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, 64));
        network.redeem(channelId, 6, 600, abi.encodePacked(r, vs));
    }

    function test_paddedSignature_reverts() public {
        bytes memory padded = abi.encodePacked(_proof(channelId, 6, 600), bytes1(0));
        vm.prank(receiver);
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, 66));
        network.redeem(channelId, 6, 600, padded);
    }

    function test_zeroSignature_reverts() public {
        vm.prank(receiver);
        vm.expectRevert(ECDSA.ECDSAInvalidSignature.selector);
        network.redeem(channelId, 6, 600, abi.encodePacked(bytes32(0), bytes32(0), uint8(27)));
    }

    function test_proofSignedByReceiver_reverts() public {
        bytes32 digest = _proofDigest(address(network), block.chainid, channelId, 6, 600);
        bytes memory signature = _sign(RECEIVER_KEY, digest);
        vm.prank(receiver);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.WrongSigner.selector, receiver, sender));
        network.redeem(channelId, 6, 600, signature);
    }

    // ------------------------------------------------------------ non-participants and wrong roles

    function test_strangerCannotRedeem() public {
        bytes memory signature = _proof(channelId, 6, 600);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.NotReceiver.selector, stranger));
        network.redeem(channelId, 6, 600, signature);
    }

    function test_senderCannotSubmitProofs() public {
        bytes memory signature = _proof(channelId, type(uint64).max, 500);
        vm.startPrank(sender);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.NotReceiver.selector, sender));
        network.redeem(channelId, type(uint64).max, 500, signature);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.NotReceiver.selector, sender));
        network.closeChannelWithProof(channelId, type(uint64).max, 500, signature);
        vm.stopPrank();
    }

    function test_strangerCannotDepositCloseOrSettle() public {
        vm.startPrank(stranger);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.NotSender.selector, stranger));
        network.deposit(channelId, 1);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.NotParticipant.selector, stranger));
        network.closeChannel(channelId);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.NotReceiver.selector, stranger));
        network.closeChannelWithProof(channelId, 6, 600, _proof(channelId, 6, 600));
        vm.stopPrank();

        vm.prank(sender);
        network.closeChannel(channelId);
        vm.warp(block.timestamp + PERIOD);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.NotParticipant.selector, stranger));
        network.settleChannel(channelId);
    }

    function test_receiverCannotDeposit() public {
        vm.prank(receiver);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.NotSender.selector, receiver));
        network.deposit(channelId, 1);
    }

    function test_cooperativeSettle_rejectsStrangersAndBadSignatures() public {
        bytes32 digest = _settleDigest(address(network), block.chainid, channelId, 700);
        bytes memory senderSig = _sign(SENDER_KEY, digest);
        bytes memory receiverSig = _sign(RECEIVER_KEY, digest);
        bytes memory strangerSig = _sign(STRANGER_KEY, digest);

        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.NotParticipant.selector, stranger));
        network.cooperativeSettle(channelId, 700, senderSig, receiverSig);

        vm.startPrank(sender);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.WrongSigner.selector, stranger, receiver));
        network.cooperativeSettle(channelId, 700, senderSig, strangerSig);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.WrongSigner.selector, receiver, sender));
        network.cooperativeSettle(channelId, 700, receiverSig, senderSig);
        // The sender cannot stand in for the receiver by signing twice.
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.WrongSigner.selector, sender, receiver));
        network.cooperativeSettle(channelId, 700, senderSig, senderSig);
        // Signatures over 700 do not cover 800.
        _expectWrongSigner(network.cooperativeSettleDigest(channelId, 800), senderSig);
        network.cooperativeSettle(channelId, 800, senderSig, receiverSig);
        vm.stopPrank();
    }

    function test_cooperativeSettle_cannotUndercutRedeemedOrBeReplayed() public {
        bytes32 low = _settleDigest(address(network), block.chainid, channelId, 499);
        vm.prank(sender);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.AmountDecreased.selector, 499, 500));
        network.cooperativeSettle(channelId, 499, _sign(SENDER_KEY, low), _sign(RECEIVER_KEY, low));

        bytes32 digest = _settleDigest(address(network), block.chainid, channelId, 600);
        bytes memory senderSig = _sign(SENDER_KEY, digest);
        bytes memory receiverSig = _sign(RECEIVER_KEY, digest);
        vm.prank(sender);
        network.cooperativeSettle(channelId, 600, senderSig, receiverSig);
        vm.prank(sender);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.UnknownChannel.selector, channelId));
        network.cooperativeSettle(channelId, 600, senderSig, receiverSig);
    }

    function test_cooperativeSettleSignature_isNotABalanceProof() public {
        // Same signer and fields, other type hash: neither message can stand for the other.
        bytes memory settleSig = _sign(SENDER_KEY, _settleDigest(address(network), block.chainid, channelId, 600));
        _expectWrongSigner(network.balanceProofDigest(channelId, 6, 600), settleSig);
        vm.prank(receiver);
        network.redeem(channelId, 6, 600, settleSig);
    }

    function test_unknownChannel_reverts() public {
        bytes32 unknown = keccak256("nope");
        vm.prank(sender);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.UnknownChannel.selector, unknown));
        network.deposit(unknown, 1);
        vm.prank(sender);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.UnknownChannel.selector, unknown));
        network.closeChannel(unknown);
    }

    /// @dev Expects WrongSigner with the exact address `signature` recovers to over `digest`
    /// (the digest the contract computes from the submitted fields).
    function _expectWrongSigner(bytes32 digest, bytes memory signature) internal {
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.WrongSigner.selector, ECDSA.recover(digest, signature), sender));
    }
}
