// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TestToken} from "../src/TestToken.sol";
import {vm} from "./utils/Vm.sol";

/// @notice EIP-3009 on the TestToken, with digests built by hand from the USDC type strings
/// (not with the contract's helpers), so a wrong type hash or domain fails here.
contract TestTokenAuthorizationTest {
    uint256 internal constant PAYER_KEY = 0xA11CE;
    uint256 internal constant STRANGER_KEY = 0x57A2;
    uint256 internal constant START_TIME = 1_700_000_000;
    uint256 internal constant VALUE = 250_000;
    uint256 internal constant SECP256K1_N =
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant TRANSFER_TYPEHASH = keccak256(
        "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 internal constant RECEIVE_TYPEHASH = keccak256(
        "ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 internal constant CANCEL_TYPEHASH = keccak256("CancelAuthorization(address authorizer,bytes32 nonce)");

    event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce);
    event Transfer(address indexed from, address indexed to, uint256 value);

    TestToken internal token;
    address internal payer;
    address internal payee = address(0xBEEF);
    address internal relayer = address(0xCAFE);

    function setUp() public {
        vm.warp(START_TIME);
        token = new TestToken("USD Coin", "USDC", 6);
        payer = vm.addr(PAYER_KEY);
        token.mint(payer, 1_000_000);
    }

    function _domain(address verifyingContract, uint256 chainId, string memory version) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("USD Coin"), keccak256(bytes(version)), chainId, verifyingContract)
        );
    }

    function _digest(bytes32 typeHash, address to, uint256 value, uint256 validBefore, bytes32 nonce)
        internal
        view
        returns (bytes32)
    {
        bytes32 structHash =
            keccak256(abi.encode(typeHash, payer, to, value, START_TIME - 1, validBefore, nonce));
        return keccak256(abi.encodePacked("\x19\x01", _domain(address(token), block.chainid, "2"), structHash));
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _authorize(bytes32 nonce) internal view returns (bytes memory) {
        return _sign(PAYER_KEY, _digest(TRANSFER_TYPEHASH, payee, VALUE, START_TIME + 60, nonce));
    }

    function _submit(bytes32 nonce, bytes memory signature) internal {
        token.transferWithAuthorization(payer, payee, VALUE, START_TIME - 1, START_TIME + 60, nonce, signature);
    }

    function test_domain_isUsdcs() public view {
        vm.assertEq(token.DOMAIN_SEPARATOR(), _domain(address(token), block.chainid, "2"), "domain separator");
        vm.assertEq(keccak256(bytes(token.version())), keccak256("2"), "version");
        vm.assertEq(token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH(), TRANSFER_TYPEHASH, "transfer type hash");
        vm.assertEq(token.RECEIVE_WITH_AUTHORIZATION_TYPEHASH(), RECEIVE_TYPEHASH, "receive type hash");
        vm.assertEq(token.CANCEL_AUTHORIZATION_TYPEHASH(), CANCEL_TYPEHASH, "cancel type hash");
    }

    function test_transferWithAuthorization_movesValue_anyoneSubmits() public {
        bytes32 nonce = keccak256("n1");
        bytes memory signature = _authorize(nonce);
        vm.expectEmit(address(token));
        emit AuthorizationUsed(payer, nonce);
        vm.expectEmit(address(token));
        emit Transfer(payer, payee, VALUE);
        vm.prank(relayer);
        _submit(nonce, signature);
        vm.assertEq(token.balanceOf(payee), VALUE, "payee paid");
        vm.assertEq(token.balanceOf(payer), 1_000_000 - VALUE, "payer charged");
        vm.assertTrue(token.authorizationState(payer, nonce), "nonce used");
    }

    function test_transferWithAuthorization_vrsForm() public {
        bytes32 nonce = keccak256("vrs");
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(PAYER_KEY, _digest(TRANSFER_TYPEHASH, payee, VALUE, START_TIME + 60, nonce));
        token.transferWithAuthorization(payer, payee, VALUE, START_TIME - 1, START_TIME + 60, nonce, v, r, s);
        vm.assertEq(token.balanceOf(payee), VALUE, "payee paid");
    }

    function test_replay_reverts() public {
        bytes32 nonce = keccak256("replay");
        bytes memory signature = _authorize(nonce);
        _submit(nonce, signature);
        vm.expectRevert(abi.encodeWithSelector(TestToken.AuthorizationAlreadyUsed.selector, payer, nonce));
        _submit(nonce, signature);
        vm.assertEq(token.balanceOf(payee), VALUE, "paid once");
    }

    function test_window_enforced() public {
        bytes32 nonce = keccak256("window");
        bytes memory signature = _authorize(nonce);
        vm.warp(START_TIME + 60);
        vm.expectRevert(abi.encodeWithSelector(TestToken.AuthorizationExpired.selector, START_TIME + 60));
        _submit(nonce, signature);
        vm.warp(START_TIME - 1);
        vm.expectRevert(abi.encodeWithSelector(TestToken.AuthorizationNotYetValid.selector, START_TIME - 1));
        _submit(nonce, signature);
        vm.assertFalse(token.authorizationState(payer, nonce), "nonce unused");
    }

    function test_wrongSigner_wrongValue_wrongRecipient_revert() public {
        bytes32 nonce = keccak256("wrong");
        bytes memory stranger = _sign(STRANGER_KEY, _digest(TRANSFER_TYPEHASH, payee, VALUE, START_TIME + 60, nonce));
        vm.expectRevert(TestToken.InvalidAuthorizationSignature.selector);
        _submit(nonce, stranger);
        bytes memory signature = _authorize(nonce);
        vm.expectRevert(TestToken.InvalidAuthorizationSignature.selector);
        token.transferWithAuthorization(payer, payee, VALUE + 1, START_TIME - 1, START_TIME + 60, nonce, signature);
        vm.expectRevert(TestToken.InvalidAuthorizationSignature.selector);
        token.transferWithAuthorization(payer, relayer, VALUE, START_TIME - 1, START_TIME + 60, nonce, signature);
    }

    function test_otherChainOrVersion_reverts() public {
        bytes32 nonce = keccak256("domain");
        bytes32 structHash =
            keccak256(abi.encode(TRANSFER_TYPEHASH, payer, payee, VALUE, START_TIME - 1, START_TIME + 60, nonce));
        bytes32 otherChain = keccak256(abi.encodePacked("\x19\x01", _domain(address(token), 1, "2"), structHash));
        vm.expectRevert(TestToken.InvalidAuthorizationSignature.selector);
        _submit(nonce, _sign(PAYER_KEY, otherChain));
        bytes32 otherVersion =
            keccak256(abi.encodePacked("\x19\x01", _domain(address(token), block.chainid, "1"), structHash));
        vm.expectRevert(TestToken.InvalidAuthorizationSignature.selector);
        _submit(nonce, _sign(PAYER_KEY, otherVersion));
    }

    function test_highS_reverts() public {
        bytes32 nonce = keccak256("high-s");
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(PAYER_KEY, _digest(TRANSFER_TYPEHASH, payee, VALUE, START_TIME + 60, nonce));
        bytes32 highS = bytes32(SECP256K1_N - uint256(s));
        uint8 flipped = v == 27 ? 28 : 27;
        vm.expectRevert();
        token.transferWithAuthorization(payer, payee, VALUE, START_TIME - 1, START_TIME + 60, nonce, flipped, r, highS);
    }

    function test_insufficientBalance_reverts_nonceStaysUnused() public {
        bytes32 nonce = keccak256("poor");
        uint256 tooMuch = 2_000_000;
        bytes memory signature = _sign(PAYER_KEY, _digest(TRANSFER_TYPEHASH, payee, tooMuch, START_TIME + 60, nonce));
        vm.expectPartialRevert(bytes4(keccak256("ERC20InsufficientBalance(address,uint256,uint256)")));
        token.transferWithAuthorization(payer, payee, tooMuch, START_TIME - 1, START_TIME + 60, nonce, signature);
        vm.assertFalse(token.authorizationState(payer, nonce), "nonce unused after a revert");
    }

    function test_receiveWithAuthorization_onlyPayee() public {
        bytes32 nonce = keccak256("receive");
        bytes memory signature = _sign(PAYER_KEY, _digest(RECEIVE_TYPEHASH, payee, VALUE, START_TIME + 60, nonce));
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(TestToken.CallerNotPayee.selector, relayer, payee));
        token.receiveWithAuthorization(payer, payee, VALUE, START_TIME - 1, START_TIME + 60, nonce, signature);
        // A transfer authorization is not a receive authorization (other type hash).
        vm.prank(payee);
        vm.expectRevert(TestToken.InvalidAuthorizationSignature.selector);
        token.receiveWithAuthorization(payer, payee, VALUE, START_TIME - 1, START_TIME + 60, nonce, _authorize(nonce));
        vm.prank(payee);
        token.receiveWithAuthorization(payer, payee, VALUE, START_TIME - 1, START_TIME + 60, nonce, signature);
        vm.assertEq(token.balanceOf(payee), VALUE, "payee paid");
    }

    function test_cancelAuthorization_burnsNonce() public {
        bytes32 nonce = keccak256("cancel");
        bytes32 structHash = keccak256(abi.encode(CANCEL_TYPEHASH, payer, nonce));
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", _domain(address(token), block.chainid, "2"), structHash));
        token.cancelAuthorization(payer, nonce, _sign(PAYER_KEY, digest));
        vm.assertTrue(token.authorizationState(payer, nonce), "nonce burnt");
        vm.expectRevert(abi.encodeWithSelector(TestToken.AuthorizationAlreadyUsed.selector, payer, nonce));
        _submit(nonce, _authorize(nonce));
    }

    function test_plainErc20_unchanged() public {
        vm.prank(payer);
        token.transfer(payee, 1);
        vm.assertEq(token.balanceOf(payee), 1, "transfer");
        vm.assertEq(token.decimals(), 6, "decimals");
    }
}
