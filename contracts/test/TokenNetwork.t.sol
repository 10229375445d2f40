// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TokenNetwork} from "../src/TokenNetwork.sol";
import {ChannelTest} from "./utils/ChannelTest.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Every honest path: open, deposit and top-up, redeem without closing, cooperative
/// settle, the receiver's close with the latest proof, the sender's close with a challenge by a
/// newer proof, and settlement after the period.
contract TokenNetworkPathsTest is ChannelTest {
    event ChannelOpened(
        bytes32 indexed channelId, address indexed sender, address indexed receiver, uint32 challengePeriodSeconds
    );
    event ChannelDeposited(bytes32 indexed channelId, uint128 amount, uint128 totalDeposit);
    event ClaimRedeemed(bytes32 indexed channelId, uint64 nonce, uint128 transferredAmount, uint128 paid);
    event ChannelClosed(bytes32 indexed channelId, address indexed closer, uint64 settleableAt);
    event ChannelSettled(bytes32 indexed channelId, uint128 receiverPaid, uint128 senderRefunded);

    function test_open_recordsChannel() public {
        bytes32 expectedId = keccak256(abi.encode(block.chainid, address(network), sender, receiver, uint256(1)));
        vm.expectEmit(address(network));
        emit ChannelOpened(expectedId, sender, receiver, PERIOD);
        bytes32 channelId = _open(0);

        vm.assertEq(channelId, expectedId, "id hashes chain, contract, pair and counter");
        TokenNetwork.Channel memory channel = network.getChannel(channelId);
        vm.assertEq(channel.sender, sender, "sender");
        vm.assertEq(channel.receiver, receiver, "receiver");
        vm.assertEq(channel.challengePeriodSeconds, PERIOD, "period");
        vm.assertEq(channel.settleableAt, 0, "open");
        vm.assertEq(channel.deposit, 0, "no deposit");
        vm.assertEq(network.channelIdOf(sender, receiver), channelId, "pair index");
        vm.assertEq(network.channelCount(), 1, "counter");
    }

    function test_open_withDeposit_pullsTokens() public {
        uint256 before = _balance(sender);
        bytes32 channelId = _open(DEPOSIT);
        vm.assertEq(network.getChannel(channelId).deposit, DEPOSIT, "deposit recorded");
        vm.assertEq(_balance(sender), before - DEPOSIT, "sender paid");
        vm.assertEq(_balance(address(network)), DEPOSIT, "network holds it");
    }

    function test_deposit_topUp_addsToDeposit() public {
        bytes32 channelId = _open(DEPOSIT);
        vm.expectEmit(address(network));
        emit ChannelDeposited(channelId, 250, DEPOSIT + 250);
        vm.prank(sender);
        network.deposit(channelId, 250);
        vm.prank(sender);
        network.deposit(channelId, 750);
        vm.assertEq(network.getChannel(channelId).deposit, DEPOSIT + 1000, "top-ups add up");
        vm.assertEq(_balance(address(network)), DEPOSIT + 1000, "network holds all");
    }

    function test_open_rejectsBadArguments() public {
        vm.startPrank(sender);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.InvalidReceiver.selector, sender));
        network.openChannel(sender, PERIOD, 0);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.InvalidReceiver.selector, address(0)));
        network.openChannel(address(0), PERIOD, 0);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.InvalidChallengePeriod.selector, PERIOD_MIN - 1));
        network.openChannel(receiver, PERIOD_MIN - 1, 0);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.InvalidChallengePeriod.selector, PERIOD_MAX + 1));
        network.openChannel(receiver, PERIOD_MAX + 1, 0);
        bytes32 channelId = network.openChannel(receiver, PERIOD, 0);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.ChannelAlreadyOpen.selector, channelId));
        network.openChannel(receiver, PERIOD, 0);
        vm.expectRevert(TokenNetwork.ZeroAmount.selector);
        network.deposit(channelId, 0);
        vm.stopPrank();
    }

    function test_redeem_withoutClosing_paysEachIncrease() public {
        bytes32 channelId = _open(DEPOSIT);
        vm.expectEmit(address(network));
        emit ClaimRedeemed(channelId, 1, 100, 100);
        _redeem(channelId, 1, 100);
        vm.assertEq(_balance(receiver), 100, "first claim paid");

        _redeem(channelId, 7, 350);
        vm.assertEq(_balance(receiver), 350, "second claim pays only the increase");
        TokenNetwork.Channel memory channel = network.getChannel(channelId);
        vm.assertEq(channel.nonce, 7, "nonce recorded");
        vm.assertEq(channel.redeemed, 350, "cumulative recorded");
        vm.assertEq(channel.settleableAt, 0, "still open");
        vm.assertEq(_balance(address(network)), DEPOSIT - 350, "rest stays deposited");
    }

    function test_redeem_newerNonceSameAmount_paysNothing() public {
        bytes32 channelId = _open(DEPOSIT);
        _redeem(channelId, 1, 100);
        _redeem(channelId, 2, 100);
        vm.assertEq(_balance(receiver), 100, "nothing more");
        vm.assertEq(network.getChannel(channelId).nonce, 2, "nonce advanced");
    }

    function test_redeem_fullDeposit() public {
        bytes32 channelId = _open(DEPOSIT);
        _redeem(channelId, 1, DEPOSIT);
        vm.assertEq(_balance(receiver), DEPOSIT, "whole deposit claimable");
    }

    function test_cooperativeSettle_paysBothAndDeletes() public {
        bytes32 channelId = _open(DEPOSIT);
        _redeem(channelId, 1, 100);
        uint256 senderBefore = _balance(sender);
        bytes32 digest = _settleDigest(address(network), block.chainid, channelId, 300);
        bytes memory senderSig = _sign(SENDER_KEY, digest);
        bytes memory receiverSig = _sign(RECEIVER_KEY, digest);

        vm.expectEmit(address(network));
        emit ChannelSettled(channelId, 200, DEPOSIT - 300);
        vm.prank(sender);
        network.cooperativeSettle(channelId, 300, senderSig, receiverSig);

        vm.assertEq(_balance(receiver), 300, "receiver total");
        vm.assertEq(_balance(sender), senderBefore + DEPOSIT - 300, "sender refund");
        vm.assertEq(_balance(address(network)), 0, "nothing left behind");
        _assertDeleted(channelId);
    }

    function test_cooperativeSettle_endsPendingClose() public {
        bytes32 channelId = _open(DEPOSIT);
        vm.prank(sender);
        network.closeChannel(channelId);
        bytes32 digest = _settleDigest(address(network), block.chainid, channelId, 40);
        bytes memory senderSig = _sign(SENDER_KEY, digest);
        bytes memory receiverSig = _sign(RECEIVER_KEY, digest);
        vm.prank(receiver);
        network.cooperativeSettle(channelId, 40, senderSig, receiverSig);
        vm.assertEq(_balance(receiver), 40, "receiver paid without waiting");
        _assertDeleted(channelId);
    }

    function test_receiverCloseWithLatestProof_settlesAtOnce() public {
        bytes32 channelId = _open(DEPOSIT);
        _redeem(channelId, 1, 100);
        uint256 senderBefore = _balance(sender);
        bytes memory latest = _proof(channelId, 9, 640);

        vm.expectEmit(address(network));
        emit ChannelSettled(channelId, 540, DEPOSIT - 640);
        vm.prank(receiver);
        network.closeChannelWithProof(channelId, 9, 640, latest);

        vm.assertEq(_balance(receiver), 640, "receiver got the latest cumulative amount");
        vm.assertEq(_balance(sender), senderBefore + DEPOSIT - 640, "sender got the rest at once");
        _assertDeleted(channelId);
    }

    function test_receiverCloseWithoutProof_refundsRest() public {
        bytes32 channelId = _open(DEPOSIT);
        _redeem(channelId, 1, 100);
        uint256 senderBefore = _balance(sender);
        vm.prank(receiver);
        network.closeChannel(channelId);
        vm.assertEq(_balance(sender), senderBefore + DEPOSIT - 100, "refund");
        _assertDeleted(channelId);
    }

    function test_senderClose_challengedWithNewerProof_thenSettled() public {
        bytes32 channelId = _open(DEPOSIT);
        _redeem(channelId, 1, 100);
        uint256 senderBefore = _balance(sender);

        // The sender closes as if nothing beyond nonce 1 had been signed.
        uint64 settleableAt = uint64(block.timestamp) + PERIOD;
        vm.expectEmit(address(network));
        emit ChannelClosed(channelId, sender, settleableAt);
        vm.prank(sender);
        network.closeChannel(channelId);
        vm.assertEq(network.getChannel(channelId).settleableAt, settleableAt, "period started");

        // The receiver challenges with the newer proof it holds, just before the period ends.
        vm.warp(settleableAt - 1);
        _redeem(channelId, 5, 400);
        vm.assertEq(_balance(receiver), 400, "challenge paid the newer claim");

        vm.warp(settleableAt);
        vm.expectEmit(address(network));
        emit ChannelSettled(channelId, 0, DEPOSIT - 400);
        vm.prank(sender);
        network.settleChannel(channelId);
        vm.assertEq(_balance(sender), senderBefore + DEPOSIT - 400, "sender keeps only the rest");
        _assertDeleted(channelId);
    }

    function test_receiverClosesWithProof_duringSenderClose() public {
        bytes32 channelId = _open(DEPOSIT);
        vm.prank(sender);
        network.closeChannel(channelId);
        bytes memory latest = _proof(channelId, 3, 500);
        vm.prank(receiver);
        network.closeChannelWithProof(channelId, 3, 500, latest);
        vm.assertEq(_balance(receiver), 500, "paid");
        _assertDeleted(channelId);
    }

    function test_settle_afterPeriod_byReceiver() public {
        bytes32 channelId = _open(DEPOSIT);
        vm.prank(sender);
        network.closeChannel(channelId);
        vm.warp(block.timestamp + PERIOD + 1 days);
        uint256 senderBefore = _balance(sender);
        vm.prank(receiver);
        network.settleChannel(channelId);
        vm.assertEq(_balance(sender), senderBefore + DEPOSIT, "full refund, nothing claimed");
    }

    function test_settle_tooEarly_reverts() public {
        bytes32 channelId = _open(DEPOSIT);
        vm.prank(sender);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.ChannelNotClosing.selector, channelId));
        network.settleChannel(channelId);

        vm.prank(sender);
        network.closeChannel(channelId);
        uint64 settleableAt = uint64(block.timestamp) + PERIOD;
        vm.warp(settleableAt - 1);
        vm.prank(sender);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.ChallengePeriodActive.selector, settleableAt));
        network.settleChannel(channelId);
    }

    function test_redeem_afterPeriod_reverts() public {
        bytes32 channelId = _open(DEPOSIT);
        vm.prank(sender);
        network.closeChannel(channelId);
        uint64 settleableAt = uint64(block.timestamp) + PERIOD;
        vm.warp(settleableAt);
        bytes memory late = _proof(channelId, 1, 100);
        vm.startPrank(receiver);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.ChallengePeriodOver.selector, settleableAt));
        network.redeem(channelId, 1, 100, late);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.ChallengePeriodOver.selector, settleableAt));
        network.closeChannelWithProof(channelId, 1, 100, late);
        vm.stopPrank();
    }

    function test_senderClose_cannotRestartPeriodOrDeposit() public {
        bytes32 channelId = _open(DEPOSIT);
        vm.startPrank(sender);
        network.closeChannel(channelId);
        vm.warp(block.timestamp + 10);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.ChannelClosing.selector, channelId));
        network.closeChannel(channelId);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.ChannelClosing.selector, channelId));
        network.deposit(channelId, 1);
        vm.stopPrank();
    }

    function test_reopen_getsNewIdAndFreshCounters() public {
        bytes32 first = _open(DEPOSIT);
        _redeem(first, 4, 100);
        vm.prank(receiver);
        network.closeChannel(first);
        bytes32 second = _open(DEPOSIT);
        vm.assertNotEq(first, second, "new id");
        vm.assertEq(network.getChannel(second).nonce, 0, "fresh channel");
        _redeem(second, 1, 10);
        vm.assertEq(_balance(receiver), 110, "both paid");
    }

    function test_digests_matchIndependentEip712Encoding() public {
        bytes32 channelId = _open(DEPOSIT);
        vm.assertEq(network.domainSeparator(), _domainSeparator(address(network), block.chainid), "domain");
        vm.assertEq(
            network.balanceProofDigest(channelId, 3, 77),
            _proofDigest(address(network), block.chainid, channelId, 3, 77),
            "balance proof digest"
        );
        vm.assertEq(
            network.cooperativeSettleDigest(channelId, 77),
            _settleDigest(address(network), block.chainid, channelId, 77),
            "cooperative settle digest"
        );
    }

    /// @notice Whatever the claims, sender and receiver together get back exactly the deposit.
    function testFuzz_settlement_conservesDeposit(uint128 deposited, uint128 first, uint128 second, bool viaClose)
        public
    {
        deposited = uint128(_bound(deposited, 1, 10 * uint256(DEPOSIT)));
        first = uint128(_bound(first, 0, deposited));
        second = uint128(_bound(second, first, deposited));
        uint256 senderBefore = _balance(sender);
        bytes32 channelId = _open(deposited);
        _redeem(channelId, 1, first);
        if (viaClose) {
            vm.prank(sender);
            network.closeChannel(channelId);
            _redeem(channelId, 2, second);
            vm.warp(block.timestamp + PERIOD);
            vm.prank(sender);
            network.settleChannel(channelId);
        } else {
            bytes memory latest = _proof(channelId, 2, second);
            vm.prank(receiver);
            network.closeChannelWithProof(channelId, 2, second, latest);
        }
        vm.assertEq(_balance(receiver), second, "receiver gets the latest claim");
        vm.assertEq(_balance(sender), senderBefore - second, "sender loses exactly that");
        vm.assertEq(_balance(address(network)), 0, "nothing stuck");
    }

    function _assertDeleted(bytes32 channelId) internal view {
        vm.assertEq(network.getChannel(channelId).sender, address(0), "channel deleted");
        vm.assertEq(network.channelIdOf(sender, receiver), bytes32(0), "pair index cleared");
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + (x % (max - min + 1));
    }
}
