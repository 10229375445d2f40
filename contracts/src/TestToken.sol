// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestToken: a plain ERC-20 for dev chains and tests.
/// @notice Anyone can mint. Never deploy it where its balances are meant to be worth anything.
contract TestToken is ERC20 {
    uint8 private immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Mints `amount` base units to `to`; open to all, this is a test token.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
