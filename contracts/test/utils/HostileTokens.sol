// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TestToken} from "../../src/TestToken.sol";

/// @notice Keeps 1% of every transfer: the received amount is less than the amount sent.
contract FeeOnTransferToken is TestToken {
    constructor() TestToken("Fee", "FEE", 18) {}

    function _update(address from, address to, uint256 value) internal override {
        uint256 fee = from == address(0) ? 0 : value / 100;
        super._update(from, to, value - fee);
        if (fee > 0) super._update(from, address(0xdead), fee);
    }
}

interface ITokenHook {
    function onTokenMoved(address from, address to, uint256 value) external;
}

/// @notice An ERC-777-like token: after moving tokens it calls the hooked party (sender or
/// recipient) back, which is how a token can reenter the TokenNetwork mid-transfer.
contract HookToken is TestToken {
    mapping(address account => bool) public hooked;

    constructor() TestToken("Hook", "HOOK", 18) {}

    function setHooked(address account, bool on) external {
        hooked[account] = on;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (hooked[to]) ITokenHook(to).onTokenMoved(from, to, value);
        else if (hooked[from]) ITokenHook(from).onTokenMoved(from, to, value);
    }
}
