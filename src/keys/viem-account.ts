/** A Signer as a viem custom account, so a wallet client signs locally through it. */
import type { LocalAccount } from 'viem';
import { toAccount } from 'viem/accounts';
import type { Signer } from './signer.js';

export function toViemAccount(signer: Signer): LocalAccount {
  return toAccount({
    address: signer.address,
    sign: ({ hash }) => signer.signDigest(hash),
    signMessage: ({ message }) => signer.signMessage(message),
    signTransaction: (transaction, options) => signer.signTransaction(transaction, options?.serializer),
    signTypedData: (typedData) => signer.signTypedData(typedData as Parameters<Signer['signTypedData']>[0]),
  });
}
