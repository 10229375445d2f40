/**
 * The ledger side of settlement: what we owe a peer, and the moves that settlements book between
 * `peer:<id>` and `own:settlement`. Each move has an id derived from chain, channel and nonce, so
 * booking a claim again (at start, after a kill between saving and booking) is a no-op.
 */
import { createHash } from 'node:crypto';
import type { Hex } from 'viem';
import type { Ledger } from '../../ledger/index.js';
import { TRANSFER_RESULT } from '../../ledger/index.js';
import { ConnectorError } from '../../utils/errors.js';
import type { ChannelBook } from '../channels/channel-book.js';
import type { IncomingChannel, OutgoingChannel } from '../channels/channel-store.js';
import type { Reporter } from './reporter.js';

export const SETTLEMENT_ACCOUNT = 'own:settlement';

export interface AccountManagerOptions {
  readonly ledger: () => Ledger;
  readonly peerAccount: (peerId: string) => string;
  /** Reads every channel; changes only `bookedNonce`. */
  readonly channels: Pick<ChannelBook, 'outgoing' | 'incoming' | 'markBooked' | 'save'>;
  /** Counts each claim once, when its booking is recorded (in the same save). */
  readonly reporter: Pick<Reporter, 'countClaimSent' | 'countClaimReceived'>;
}

/**
 * Books settlements in the ledger: a claim we paid moves `peer:N → own:settlement`, a claim we
 * received `own:settlement → peer:P`, each once (idempotent ids, `bookedNonce`).
 */
export class AccountManager {
  readonly #ledger: () => Ledger;
  readonly #peerAccount: (peerId: string) => string;
  readonly #channels: AccountManagerOptions['channels'];
  readonly #reporter: AccountManagerOptions['reporter'];

  constructor(options: AccountManagerOptions) {
    this.#ledger = options.ledger;
    this.#peerAccount = options.peerAccount;
    this.#channels = options.channels;
    this.#reporter = options.reporter;
  }

  /** Creates `own:settlement`, the other side of every settlement move. */
  open(): Promise<void> {
    return this.#ledger().createAccount(SETTLEMENT_ACCOUNT);
  }

  /** What we owe the peer in ILP units (`creditsPosted - debitsPosted`); undefined without an account. */
  async owed(peerId: string): Promise<bigint | undefined> {
    const balance = await this.#ledger().getBalance(this.#peerAccount(peerId));
    if (balance === undefined) return undefined;
    return balance.creditsPosted - balance.debitsPosted;
  }

  /**
   * Books again what a kill may have left unbooked: claims saved above `bookedNonce`, and a
   * co-signed close not marked booked. Ids make it idempotent; `bookedNonce` keeps it from
   * reaching back past what the ledger still remembers.
   */
  async rebook(): Promise<void> {
    for (const c of this.#channels.outgoing) await this.bookPaid(c);
    for (const c of this.#channels.incoming) await this.bookReceived(c);
  }

  /** Books the payer's latest claim if it is not yet (idempotent id), then records that it is. */
  async bookPaid(c: Readonly<OutgoingChannel>): Promise<void> {
    if (c.nonce <= c.bookedNonce) return;
    await this.#book(paidTransferId(c), this.#peerAccount(c.peerId), SETTLEMENT_ACCOUNT, c.ledgerDelta);
    this.#channels.markBooked(c);
    this.#reporter.countClaimSent();
    await this.#channels.save();
  }

  async bookReceived(c: Readonly<IncomingChannel>): Promise<void> {
    if (c.nonce <= c.bookedNonce) return;
    await this.#book(receivedTransferId(c), SETTLEMENT_ACCOUNT, this.#peerAccount(c.peerId), c.ledgerDelta);
    this.#channels.markBooked(c);
    this.#reporter.countClaimReceived();
    await this.#channels.save();
  }

  async #book(id: bigint, debitAccount: string, creditAccount: string, amount: bigint): Promise<void> {
    if (amount === 0n) return;
    const ledger = this.#ledger();
    if (!ledger.hasAccount(debitAccount) || !ledger.hasAccount(creditAccount)) {
      // A peer removed since: its account is made again so the settlement is not lost.
      await ledger
        .createAccount(debitAccount === SETTLEMENT_ACCOUNT ? creditAccount : debitAccount)
        .catch(() => undefined);
    }
    const result = await ledger.transfer({ id, debitAccount, creditAccount, amount });
    if (result !== TRANSFER_RESULT.ok && result !== TRANSFER_RESULT.exists) {
      throw new ConnectorError(
        'ERR_LEDGER',
        `settlement of ${amount} from ${debitAccount} to ${creditAccount} was refused by the ledger: ${result}`,
      );
    }
  }
}

/** Ledger transfer ids of settlements: the same claim always books under the same id. */
function transferId(direction: string, channel: { chainId: number; channelId: Hex; nonce: bigint }): bigint {
  const digest = createHash('sha256')
    .update(`settlement:${direction}:${channel.chainId}:${channel.channelId.toLowerCase()}:${channel.nonce}`)
    .digest();
  // 120 bits, never 0 and never 2^128 - 1.
  return (BigInt(`0x${digest.subarray(0, 15).toString('hex')}`) << 8n) | 1n;
}

const paidTransferId = (c: Readonly<OutgoingChannel>) => transferId('paid', c);
const receivedTransferId = (c: Readonly<IncomingChannel>) => transferId('received', c);
