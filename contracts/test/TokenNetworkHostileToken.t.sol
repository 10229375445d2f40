// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {TokenNetwork} from "../src/TokenNetwork.sol";
import {ChannelTest} from "./utils/ChannelTest.sol";
import {FeeOnTransferToken, HookToken, ITokenHook} from "./utils/HostileTokens.sol";
import {vm} from "./utils/Vm.sol";

/// @notice A participant contract that, called back by the token mid-transfer, reenters the
/// TokenNetwork with a prepared call. It records the revert, or lets it bubble up.
contract Reenterer is ITokenHook {
    TokenNetwork internal immutable network;
    bytes internal reentry;
    bool internal bubble;
    bool public attempted;
    bytes public reentryRevert;

    constructor(TokenNetwork network_) {
        network = network_;
    }

    function arm(bytes calldata call, bool bubble_) external {
        reentry = call;
        bubble = bubble_;
    }

    /// @dev Lets the test drive this contract as a channel participant.
    function execute(bytes calldata call) external {
        (bool ok, bytes memory data) = address(network).call(call);
        if (!ok) {
            assembly {
                revert(add(data, 32), mload(data))
            }
        }
    }

    function onTokenMoved(address, address, uint256) external override {
        if (reentry.length == 0 || attempted) return;
        attempted = true;
        (bool ok, bytes memory data) = address(network).call(reentry);
        if (ok) return;
        if (bubble) {
            assembly {
                revert(add(data, 32), mload(data))
            }
        }
        reentryRevert = data;
    }
}

/// @notice Tokens that misbehave: one keeps a fee on every transfer, one calls back into the
/// TokenNetwork in the middle of a transfer (reentrancy).
contract TokenNetworkHostileTokenTest is ChannelTest {
    bytes internal reentrantCall = abi.encodeWithSelector(ReentrancyGuard.ReentrancyGuardReentrantCall.selector);

    function test_feeOnTransferToken_depositRefused() public {
        FeeOnTransferToken feeToken = new FeeOnTransferToken();
        TokenNetwork feeNetwork = TokenNetwork(registry.createTokenNetwork(address(feeToken)));
        _fund(sender, feeNetwork, 1_000_000);
        vm.prank(sender);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.DepositMismatch.selector, 1000, 990));
        feeNetwork.openChannel(receiver, PERIOD, 1000);
        vm.assertEq(feeToken.balanceOf(address(feeNetwork)), 0, "nothing kept");
    }

    /// @dev The receiver is a contract the token calls back on payout; it tries to redeem a
    /// newer proof inside the payout of the first. The guard stops it; the outer redeem stands.
    function test_reentrancy_duringRedeemPayout_blocked() public {
        (HookToken hookToken, TokenNetwork hookNetwork, Reenterer attacker) = _hookedReceiverChannel();
        bytes32 channelId = hookNetwork.channelIdOf(sender, address(attacker));
        bytes memory first = _signFor(hookNetwork, channelId, 1, 100);
        bytes memory second = _signFor(hookNetwork, channelId, 2, 900);

        attacker.arm(abi.encodeCall(TokenNetwork.redeem, (channelId, 2, 900, second)), false);
        attacker.execute(abi.encodeCall(TokenNetwork.redeem, (channelId, 1, 100, first)));

        vm.assertTrue(attacker.attempted(), "reentry attempted");
        vm.assertEq(attacker.reentryRevert(), reentrantCall, "stopped by the guard");
        vm.assertEq(hookToken.balanceOf(address(attacker)), 100, "paid once");
        vm.assertEq(hookNetwork.getChannel(channelId).nonce, 1, "state of the outer call only");
    }

    /// @dev Reentering settle from inside closeChannelWithProof's payout to be paid twice.
    function test_reentrancy_duringSettlePayout_blocked() public {
        (HookToken hookToken, TokenNetwork hookNetwork, Reenterer attacker) = _hookedReceiverChannel();
        bytes32 channelId = hookNetwork.channelIdOf(sender, address(attacker));
        bytes memory latest = _signFor(hookNetwork, channelId, 1, 300);

        attacker.arm(abi.encodeCall(TokenNetwork.closeChannel, (channelId)), false);
        attacker.execute(abi.encodeCall(TokenNetwork.closeChannelWithProof, (channelId, 1, 300, latest)));

        vm.assertEq(attacker.reentryRevert(), reentrantCall, "stopped by the guard");
        vm.assertEq(hookToken.balanceOf(address(attacker)), 300, "paid once");
        vm.assertEq(hookToken.balanceOf(sender), 10 * uint256(DEPOSIT) - 300, "sender refunded once");
        vm.assertEq(hookToken.balanceOf(address(hookNetwork)), 0, "books balance");
    }

    /// @dev A token that propagates the failed reentry makes the whole call revert: nothing is
    /// paid and no state changes.
    function test_reentrancy_bubbling_revertsWholeCall() public {
        (HookToken hookToken, TokenNetwork hookNetwork, Reenterer attacker) = _hookedReceiverChannel();
        bytes32 channelId = hookNetwork.channelIdOf(sender, address(attacker));
        bytes memory first = _signFor(hookNetwork, channelId, 1, 100);

        attacker.arm(abi.encodeCall(TokenNetwork.closeChannel, (channelId)), true);
        vm.expectRevert(ReentrancyGuard.ReentrancyGuardReentrantCall.selector);
        attacker.execute(abi.encodeCall(TokenNetwork.redeem, (channelId, 1, 100, first)));
        vm.assertEq(hookToken.balanceOf(address(attacker)), 0, "nothing paid");
        vm.assertEq(hookNetwork.getChannel(channelId).nonce, 0, "nothing recorded");
    }

    /// @dev The sender is the contract: during the deposit's transferFrom it tries to close.
    function test_reentrancy_duringDeposit_blocked() public {
        HookToken hookToken = new HookToken();
        TokenNetwork hookNetwork = TokenNetwork(registry.createTokenNetwork(address(hookToken)));
        Reenterer attacker = new Reenterer(hookNetwork);
        hookToken.mint(address(attacker), DEPOSIT);
        vm.prank(address(attacker));
        hookToken.approve(address(hookNetwork), type(uint256).max);
        vm.prank(address(attacker));
        bytes32 channelId = hookNetwork.openChannel(receiver, PERIOD, 0);
        hookToken.setHooked(address(attacker), true);

        attacker.arm(abi.encodeCall(TokenNetwork.closeChannel, (channelId)), false);
        attacker.execute(abi.encodeCall(TokenNetwork.deposit, (channelId, 1000)));
        vm.assertEq(attacker.reentryRevert(), reentrantCall, "stopped by the guard");
        vm.assertEq(hookNetwork.getChannel(channelId).deposit, 1000, "deposit counted once");
        vm.assertEq(hookNetwork.getChannel(channelId).settleableAt, 0, "still open");
    }

    /// @dev A HookToken network with a channel from `sender` to a Reenterer receiver.
    function _hookedReceiverChannel() internal returns (HookToken hookToken, TokenNetwork hookNetwork, Reenterer attacker) {
        hookToken = new HookToken();
        hookNetwork = TokenNetwork(registry.createTokenNetwork(address(hookToken)));
        attacker = new Reenterer(hookNetwork);
        _fund(sender, hookNetwork, 10 * uint256(DEPOSIT));
        vm.prank(sender);
        hookNetwork.openChannel(address(attacker), PERIOD, DEPOSIT);
        hookToken.setHooked(address(attacker), true);
    }

    function _signFor(TokenNetwork net, bytes32 channelId, uint64 nonce, uint128 amount)
        internal
        view
        returns (bytes memory)
    {
        return _sign(SENDER_KEY, _proofDigest(address(net), block.chainid, channelId, nonce, amount));
    }
}
