// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// @title TokenNetwork: unidirectional payment channels for one ERC-20 (DESIGN §7).
/// @notice A channel has a sender (the payer, who deposits) and a receiver. The sender signs
/// off-chain EIP-712 balance proofs: "on channel C, my cumulative transfer to you is A, as of
/// nonce N". The receiver redeems the latest proof at any time without closing, or closes at
/// once with it. The sender's close starts a challenge period in which the receiver redeems its
/// newest proof; after it, the rest of the deposit returns to the sender. Payments in the other
/// direction use a second channel with the roles swapped; the connector nets both off-chain.
/// @dev Only the receiver can submit balance proofs. Proofs are ordered by nonce, and a sender
/// able to submit its own proofs could sign nonce 2^64-1 with a small amount and lock the
/// receiver out of every newer claim. The receiver, who gains from each proof, can only hurt
/// itself by submitting an older one.
contract TokenNetwork is EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice EIP-712 type of an off-chain claim, signed by the channel's sender.
    bytes32 public constant BALANCE_PROOF_TYPEHASH =
        keccak256("BalanceProof(bytes32 channelId,uint64 nonce,uint128 transferredAmount)");

    /// @notice EIP-712 type both participants sign to end a channel at once.
    bytes32 public constant COOPERATIVE_SETTLE_TYPEHASH =
        keccak256("CooperativeSettle(bytes32 channelId,uint128 transferredAmount)");

    /// @dev Packed in three slots. `sender == address(0)` means no such channel (never opened
    /// or already settled); `settleableAt == 0` means open, otherwise the sender has closed and
    /// the channel can be settled from that timestamp on.
    struct Channel {
        address sender;
        uint32 challengePeriodSeconds;
        uint64 settleableAt;
        address receiver;
        uint64 nonce;
        uint128 deposit;
        uint128 redeemed;
    }

    IERC20 public immutable token;
    /// @notice The registry that created this network (the deployer when deployed directly).
    address public immutable registry;
    uint32 public immutable challengePeriodMinSeconds;
    uint32 public immutable challengePeriodMaxSeconds;

    /// @notice Channels ever opened here; part of every channel id, so ids are never reused.
    uint256 public channelCount;
    mapping(bytes32 channelId => Channel) private _channels;
    /// @notice The open (or closing) channel from sender to receiver, zero when none.
    mapping(address sender => mapping(address receiver => bytes32 channelId)) public channelIdOf;

    event ChannelOpened(
        bytes32 indexed channelId, address indexed sender, address indexed receiver, uint32 challengePeriodSeconds
    );
    event ChannelDeposited(bytes32 indexed channelId, uint128 amount, uint128 totalDeposit);
    event ClaimRedeemed(bytes32 indexed channelId, uint64 nonce, uint128 transferredAmount, uint128 paid);
    event ChannelClosed(bytes32 indexed channelId, address indexed closer, uint64 settleableAt);
    event ChannelSettled(bytes32 indexed channelId, uint128 receiverPaid, uint128 senderRefunded);

    error InvalidChallengePeriodBounds(uint32 minSeconds, uint32 maxSeconds);
    error InvalidReceiver(address receiver);
    error InvalidChallengePeriod(uint32 challengePeriodSeconds);
    error ChannelAlreadyOpen(bytes32 channelId);
    error UnknownChannel(bytes32 channelId);
    error NotSender(address caller);
    error NotReceiver(address caller);
    error NotParticipant(address caller);
    error ChannelClosing(bytes32 channelId);
    error ChannelNotClosing(bytes32 channelId);
    error ChallengePeriodActive(uint64 settleableAt);
    error ChallengePeriodOver(uint64 settleableAt);
    error ZeroAmount();
    error DepositMismatch(uint256 expected, uint256 received);
    error StaleProof(uint64 nonce, uint64 latestNonce);
    error AmountDecreased(uint128 transferredAmount, uint128 redeemed);
    error ClaimExceedsDeposit(uint128 transferredAmount, uint128 deposit);
    error WrongSigner(address recovered, address expected);

    /// @dev The bounds let a deployment refuse periods too short for a receiver to react
    /// (watching the chain, retrying a redeem) or so long that a deposit is held hostage.
    constructor(IERC20 token_, uint32 challengePeriodMinSeconds_, uint32 challengePeriodMaxSeconds_)
        EIP712("TokenNetwork", "1")
    {
        if (challengePeriodMinSeconds_ == 0 || challengePeriodMinSeconds_ > challengePeriodMaxSeconds_) {
            revert InvalidChallengePeriodBounds(challengePeriodMinSeconds_, challengePeriodMaxSeconds_);
        }
        token = token_;
        registry = msg.sender;
        challengePeriodMinSeconds = challengePeriodMinSeconds_;
        challengePeriodMaxSeconds = challengePeriodMaxSeconds_;
    }

    // ---------------------------------------------------------------- open and deposit

    /// @notice Opens a channel from msg.sender to `receiver`, optionally with a first deposit
    /// (approve this contract for `amount` first).
    /// @dev One channel per (sender, receiver) at a time, so both sides find it without an
    /// index. The id hashes chain id, this contract and a counter: it is unique across chains
    /// and deployments, and a channel reopened later gets a new id, so proofs for the old one
    /// never apply to it.
    function openChannel(address receiver, uint32 challengePeriodSeconds, uint128 amount)
        external
        nonReentrant
        returns (bytes32 channelId)
    {
        if (receiver == address(0) || receiver == msg.sender) revert InvalidReceiver(receiver);
        if (challengePeriodSeconds < challengePeriodMinSeconds || challengePeriodSeconds > challengePeriodMaxSeconds)
        {
            revert InvalidChallengePeriod(challengePeriodSeconds);
        }
        bytes32 existing = channelIdOf[msg.sender][receiver];
        if (existing != bytes32(0)) revert ChannelAlreadyOpen(existing);

        uint256 count = channelCount + 1;
        channelCount = count;
        channelId = keccak256(abi.encode(block.chainid, address(this), msg.sender, receiver, count));
        Channel storage channel = _channels[channelId];
        channel.sender = msg.sender;
        channel.receiver = receiver;
        channel.challengePeriodSeconds = challengePeriodSeconds;
        channelIdOf[msg.sender][receiver] = channelId;
        emit ChannelOpened(channelId, msg.sender, receiver, challengePeriodSeconds);

        if (amount > 0) _pullDeposit(channelId, channel, amount);
    }

    /// @notice Adds `amount` to the deposit of an open channel (top-up).
    /// @dev Sender only: the deposit backs the sender's claims, and a stranger's money would be
    /// refunded to the sender. Refused once closing: it would only be refunded at settlement.
    function deposit(bytes32 channelId, uint128 amount) external nonReentrant {
        Channel storage channel = _existing(channelId);
        if (msg.sender != channel.sender) revert NotSender(msg.sender);
        if (channel.settleableAt != 0) revert ChannelClosing(channelId);
        if (amount == 0) revert ZeroAmount();
        _pullDeposit(channelId, channel, amount);
    }

    // ---------------------------------------------------------------- claims

    /// @notice Pays the receiver what the sender's balance proof adds to what was already
    /// redeemed, without closing. While the sender's close is pending this is the challenge.
    /// @dev Receiver only (see the contract note). Refused once the challenge period is over:
    /// from then on the sender's refund is final.
    function redeem(bytes32 channelId, uint64 nonce, uint128 transferredAmount, bytes calldata signature)
        external
        nonReentrant
    {
        Channel storage channel = _existing(channelId);
        address receiver = channel.receiver;
        if (msg.sender != receiver) revert NotReceiver(msg.sender);
        _requireChallengeOpen(channel);
        uint128 paid = _applyProof(channelId, channel, nonce, transferredAmount, signature);
        if (paid > 0) token.safeTransfer(receiver, paid);
    }

    // ---------------------------------------------------------------- close and settle

    /// @notice The sender's close starts the challenge period; the receiver's close (it gives
    /// up any proof it has not redeemed) settles at once.
    /// @dev The receiver needs no period: the only value at stake is its own. A second close by
    /// the sender is refused so the period cannot be restarted or shortened.
    function closeChannel(bytes32 channelId) external nonReentrant {
        Channel storage channel = _existing(channelId);
        if (msg.sender == channel.sender) {
            if (channel.settleableAt != 0) revert ChannelClosing(channelId);
            uint64 settleableAt = uint64(block.timestamp) + channel.challengePeriodSeconds;
            channel.settleableAt = settleableAt;
            emit ChannelClosed(channelId, msg.sender, settleableAt);
        } else if (msg.sender == channel.receiver) {
            _settle(channelId, channel, 0);
        } else {
            revert NotParticipant(msg.sender);
        }
    }

    /// @notice The receiver closes with the sender's latest balance proof: it is paid the
    /// proof's unredeemed part and the sender gets the rest of the deposit, both at once.
    /// @dev Same proof rules and timing as redeem, so a pending sender close cannot be used to
    /// slip in a proof after its challenge period.
    function closeChannelWithProof(
        bytes32 channelId,
        uint64 nonce,
        uint128 transferredAmount,
        bytes calldata signature
    ) external nonReentrant {
        Channel storage channel = _existing(channelId);
        if (msg.sender != channel.receiver) revert NotReceiver(msg.sender);
        _requireChallengeOpen(channel);
        uint128 paid = _applyProof(channelId, channel, nonce, transferredAmount, signature);
        _settle(channelId, channel, paid);
    }

    /// @notice Ends a sender-closed channel once its challenge period is over: the sender gets
    /// the deposit less everything redeemed.
    /// @dev Participants only, like every action here; each of them can always call it, so the
    /// deposit is never stuck.
    function settleChannel(bytes32 channelId) external nonReentrant {
        Channel storage channel = _existing(channelId);
        if (msg.sender != channel.sender && msg.sender != channel.receiver) revert NotParticipant(msg.sender);
        uint64 settleableAt = channel.settleableAt;
        if (settleableAt == 0) revert ChannelNotClosing(channelId);
        // Timestamps drift by seconds at most against a period of minutes or days.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < settleableAt) revert ChallengePeriodActive(settleableAt);
        _settle(channelId, channel, 0);
    }

    /// @notice Ends the channel at once on terms both participants signed: the receiver's
    /// total is `transferredAmount`, the sender gets the rest.
    /// @dev Both signatures cover channel id and amount under this contract's domain, so they
    /// fit no other channel, contract or chain, and the channel is deleted when it runs, so they
    /// cannot be replayed. The amount may not undercut what was already redeemed. Valid while
    /// open or closing: agreeing ends a dispute early. A receiver that signs this must not
    /// accept further claims on the channel: the sender may submit it at any time.
    function cooperativeSettle(
        bytes32 channelId,
        uint128 transferredAmount,
        bytes calldata senderSignature,
        bytes calldata receiverSignature
    ) external nonReentrant {
        Channel storage channel = _existing(channelId);
        address sender = channel.sender;
        address receiver = channel.receiver;
        if (msg.sender != sender && msg.sender != receiver) revert NotParticipant(msg.sender);
        uint128 redeemed = channel.redeemed;
        if (transferredAmount < redeemed) revert AmountDecreased(transferredAmount, redeemed);
        if (transferredAmount > channel.deposit) revert ClaimExceedsDeposit(transferredAmount, channel.deposit);

        bytes32 digest = cooperativeSettleDigest(channelId, transferredAmount);
        _requireSigner(digest, senderSignature, sender);
        _requireSigner(digest, receiverSignature, receiver);
        channel.redeemed = transferredAmount;
        _settle(channelId, channel, transferredAmount - redeemed);
    }

    // ---------------------------------------------------------------- views

    function getChannel(bytes32 channelId) external view returns (Channel memory) {
        return _channels[channelId];
    }

    /// @notice The EIP-712 domain separator (name "TokenNetwork", version "1", chain id, this).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice The digest a sender signs for a balance proof, for off-chain cross-checks.
    function balanceProofDigest(bytes32 channelId, uint64 nonce, uint128 transferredAmount)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(BALANCE_PROOF_TYPEHASH, channelId, nonce, transferredAmount)));
    }

    /// @notice The digest both participants sign for a cooperative settle.
    function cooperativeSettleDigest(bytes32 channelId, uint128 transferredAmount) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(COOPERATIVE_SETTLE_TYPEHASH, channelId, transferredAmount)));
    }

    // ---------------------------------------------------------------- internals

    function _existing(bytes32 channelId) private view returns (Channel storage channel) {
        channel = _channels[channelId];
        if (channel.sender == address(0)) revert UnknownChannel(channelId);
    }

    /// @dev A proof is accepted up to (excluding) the end of a pending challenge period. The
    /// clock is block time: it drifts by seconds at most, against a period of minutes or days.
    function _requireChallengeOpen(Channel storage channel) private view {
        uint64 settleableAt = channel.settleableAt;
        // forge-lint: disable-next-line(block-timestamp)
        if (settleableAt != 0 && block.timestamp >= settleableAt) revert ChallengePeriodOver(settleableAt);
    }

    /// @dev Effects before the token call, which runs under the reentrancy guard. The balance
    /// delta is measured and must equal `amount`: a fee-on-transfer or otherwise lossy token is
    /// refused rather than leaving deposits the contract does not hold.
    function _pullDeposit(bytes32 channelId, Channel storage channel, uint128 amount) private {
        uint128 total = channel.deposit + amount;
        channel.deposit = total;
        emit ChannelDeposited(channelId, amount, total);

        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert DepositMismatch(amount, received);
    }

    /// @dev The rules for a balance proof, and why:
    /// - nonce strictly above the last accepted one: a stale or replayed proof is refused;
    /// - amount not below what was redeemed: cumulative amounts only grow, so a newer nonce can
    ///   never take back value already paid;
    /// - amount within the deposit: a claim the deposit cannot cover is not a valid claim;
    /// - signed by this channel's sender under this contract's EIP-712 domain: a proof for
    ///   another channel, contract or chain recovers another address; malleable (high-s) or
    ///   malformed signatures are rejected by OpenZeppelin's ECDSA.
    /// Returns what the receiver is owed now (the increase over `redeemed`).
    function _applyProof(
        bytes32 channelId,
        Channel storage channel,
        uint64 nonce,
        uint128 transferredAmount,
        bytes calldata signature
    ) private returns (uint128 paid) {
        uint64 latestNonce = channel.nonce;
        if (nonce <= latestNonce) revert StaleProof(nonce, latestNonce);
        uint128 redeemed = channel.redeemed;
        if (transferredAmount < redeemed) revert AmountDecreased(transferredAmount, redeemed);
        uint128 deposited = channel.deposit;
        if (transferredAmount > deposited) revert ClaimExceedsDeposit(transferredAmount, deposited);
        _requireSigner(balanceProofDigest(channelId, nonce, transferredAmount), signature, channel.sender);

        channel.nonce = nonce;
        channel.redeemed = transferredAmount;
        paid = transferredAmount - redeemed;
        emit ClaimRedeemed(channelId, nonce, transferredAmount, paid);
    }

    function _requireSigner(bytes32 digest, bytes calldata signature, address expected) private pure {
        address recovered = ECDSA.recover(digest, signature);
        if (recovered != expected) revert WrongSigner(recovered, expected);
    }

    /// @dev Deletes the channel before paying out (checks-effects-interactions), which also
    /// makes every proof and cooperative signature for it unusable from here on. Zero transfers
    /// are skipped because some tokens revert on them.
    function _settle(bytes32 channelId, Channel storage channel, uint128 receiverPaid) private {
        address sender = channel.sender;
        address receiver = channel.receiver;
        uint128 senderRefunded = channel.deposit - channel.redeemed;
        delete _channels[channelId];
        delete channelIdOf[sender][receiver];
        emit ChannelSettled(channelId, receiverPaid, senderRefunded);

        if (receiverPaid > 0) token.safeTransfer(receiver, receiverPaid);
        if (senderRefunded > 0) token.safeTransfer(sender, senderRefunded);
    }
}
