// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ChannelTest} from "./utils/ChannelTest.sol";
import {vm} from "./utils/Vm.sol";

/// @notice One honest call per operation, for the gas table in docs/contracts.md:
///   forge test --root contracts --match-contract TokenNetworkGasTest --gas-report --isolate
/// Both participants already hold tokens, as on a live network, so payouts do not pay for
/// creating a token balance.
contract TokenNetworkGasTest is ChannelTest {
    function setUp() public override {
        super.setUp();
        token.mint(receiver, 1);
    }

    function test_gas_senderCloseChallengeSettle() public {
        bytes32 channelId = _open(DEPOSIT);
        vm.prank(sender);
        network.deposit(channelId, DEPOSIT);
        _redeem(channelId, 1, 100);
        _redeem(channelId, 2, 200);
        vm.prank(sender);
        network.closeChannel(channelId);
        _redeem(channelId, 3, 300);
        vm.warp(block.timestamp + PERIOD);
        vm.prank(sender);
        network.settleChannel(channelId);
    }

    function test_gas_receiverCloseWithProof() public {
        bytes32 channelId = _open(DEPOSIT);
        bytes memory latest = _proof(channelId, 1, 100);
        vm.prank(receiver);
        network.closeChannelWithProof(channelId, 1, 100, latest);
    }

    function test_gas_cooperativeSettle() public {
        bytes32 channelId = _open(DEPOSIT);
        bytes32 digest = _settleDigest(address(network), block.chainid, channelId, 100);
        bytes memory senderSig = _sign(SENDER_KEY, digest);
        bytes memory receiverSig = _sign(RECEIVER_KEY, digest);
        vm.prank(receiver);
        network.cooperativeSettle(channelId, 100, senderSig, receiverSig);
    }

    function test_gas_openWithoutDepositReceiverClose() public {
        vm.prank(sender);
        bytes32 channelId = network.openChannel(receiver, PERIOD, 0);
        vm.prank(receiver);
        network.closeChannel(channelId);
    }
}
