// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TestToken} from "../src/TestToken.sol";
import {TokenNetwork} from "../src/TokenNetwork.sol";
import {TokenNetworkRegistry} from "../src/TokenNetworkRegistry.sol";
import {ChannelTest} from "./utils/ChannelTest.sol";
import {vm} from "./utils/Vm.sol";

contract TokenNetworkRegistryTest is ChannelTest {
    event TokenNetworkCreated(address indexed token, address indexed tokenNetwork);

    function test_createTokenNetwork_registersOnePerToken() public {
        TestToken other = new TestToken("Other", "OTH", 18);
        vm.expectEmit(address(registry));
        emit TokenNetworkCreated(address(other), _nextCreateAddress(address(registry)));
        TokenNetwork created = TokenNetwork(registry.createTokenNetwork(address(other)));

        vm.assertEq(registry.tokenToTokenNetwork(address(other)), address(created), "listed");
        vm.assertEq(address(created.token()), address(other), "token");
        vm.assertEq(created.registry(), address(registry), "registry");
        vm.assertEq(created.challengePeriodMinSeconds(), PERIOD_MIN, "min period");
        vm.assertEq(created.challengePeriodMaxSeconds(), PERIOD_MAX, "max period");

        vm.expectRevert(
            abi.encodeWithSelector(TokenNetworkRegistry.TokenAlreadyRegistered.selector, address(other), address(created))
        );
        registry.createTokenNetwork(address(other));
    }

    function test_createTokenNetwork_refusesAddressWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(TokenNetworkRegistry.TokenNotContract.selector, stranger));
        registry.createTokenNetwork(stranger);
    }

    function test_constructor_refusesBadBounds() public {
        vm.expectRevert(abi.encodeWithSelector(TokenNetworkRegistry.InvalidChallengePeriodBounds.selector, 0, 10));
        new TokenNetworkRegistry(0, 10);
        vm.expectRevert(abi.encodeWithSelector(TokenNetworkRegistry.InvalidChallengePeriodBounds.selector, 11, 10));
        new TokenNetworkRegistry(11, 10);
        vm.expectRevert(abi.encodeWithSelector(TokenNetwork.InvalidChallengePeriodBounds.selector, 0, 10));
        new TokenNetwork(token, 0, 10);
    }

    function test_testToken_decimalsAndMint() public {
        vm.assertEq(token.decimals(), 6, "decimals");
        token.mint(stranger, 5);
        vm.assertEq(token.balanceOf(stranger), 10 * uint256(DEPOSIT) + 5, "minted");
    }

    /// @dev CREATE address for a contract whose nonce is 2 (1 at deployment, +1 for the first
    /// network it created in setUp).
    function _nextCreateAddress(address deployer) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xd6), bytes1(0x94), deployer, bytes1(0x02))))));
    }
}
