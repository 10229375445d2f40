// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {TokenNetwork} from "./TokenNetwork.sol";

/// @title TokenNetworkRegistry: the one TokenNetwork per ERC-20 on a chain (DESIGN §7).
/// @notice Connectors trust a channel only if its TokenNetwork is the one this registry lists
/// for the channel's token: `tokenToTokenNetwork(network.token()) == network`.
contract TokenNetworkRegistry {
    /// @notice Challenge period bounds handed to every TokenNetwork created here.
    uint32 public immutable challengePeriodMinSeconds;
    uint32 public immutable challengePeriodMaxSeconds;

    mapping(address token => address tokenNetwork) public tokenToTokenNetwork;

    event TokenNetworkCreated(address indexed token, address indexed tokenNetwork);

    error InvalidChallengePeriodBounds(uint32 minSeconds, uint32 maxSeconds);
    error TokenNotContract(address token);
    error TokenAlreadyRegistered(address token, address tokenNetwork);

    /// @dev Bounds are checked here too so a bad deployment fails at once, not at the first
    /// createTokenNetwork.
    constructor(uint32 challengePeriodMinSeconds_, uint32 challengePeriodMaxSeconds_) {
        if (challengePeriodMinSeconds_ == 0 || challengePeriodMinSeconds_ > challengePeriodMaxSeconds_) {
            revert InvalidChallengePeriodBounds(challengePeriodMinSeconds_, challengePeriodMaxSeconds_);
        }
        challengePeriodMinSeconds = challengePeriodMinSeconds_;
        challengePeriodMaxSeconds = challengePeriodMaxSeconds_;
    }

    /// @notice Creates the TokenNetwork for `token`. Permissionless: a network only holds
    /// what its own channels deposit, so a hostile token can only harm its own channels.
    /// @dev One network per token, so "the registered network for this token" is unambiguous.
    /// An address without code is refused: calls to it would succeed silently.
    function createTokenNetwork(address token) external returns (address tokenNetwork) {
        if (token.code.length == 0) revert TokenNotContract(token);
        address existing = tokenToTokenNetwork[token];
        if (existing != address(0)) revert TokenAlreadyRegistered(token, existing);
        tokenNetwork = address(new TokenNetwork(IERC20(token), challengePeriodMinSeconds, challengePeriodMaxSeconds));
        tokenToTokenNetwork[token] = tokenNetwork;
        emit TokenNetworkCreated(token, tokenNetwork);
    }
}
