/** createSigner picks the backend from config, refuses KMS for now, and never echoes key material. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigObject } from '../../src/config/loader.js';
import {
  checkDerivationPath,
  checkMnemonic,
  createSigner,
  EnvKeySigner,
  HdWalletSigner,
  normaliseSignature,
  redactKeys,
  redactUrl,
  redactUrlIn,
  SECP256K1_N,
  splitSignature,
} from '../../src/keys/index.js';
import { ConnectorError } from '../../src/utils/errors.js';

const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const ADDRESS_0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const ADDRESS_1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const MNEMONIC = 'test test test test test test test test test test test junk';

/** Asserts `make` throws an error of `code` whose message contains none of `secrets`. */
function assertThrowsQuietly(
  make: () => unknown,
  code: string,
  secrets: readonly string[],
  pattern?: RegExp,
) {
  assert.throws(make, (error: unknown) => {
    assert.ok(error instanceof ConnectorError, String(error));
    assert.equal(error.code, code);
    for (const secret of secrets) {
      assert.ok(
        !error.message.toLowerCase().includes(secret.replace(/^0x/, '').toLowerCase()),
        error.message,
      );
      assert.ok(!JSON.stringify(error).includes(secret), 'secret in serialized error');
    }
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

describe('createSigner', () => {
  it('env backend (the default) with a private key gives an EnvKeySigner', () => {
    const signer = createSigner({ settlementInfra: { privateKey: KEY } });
    assert.ok(signer instanceof EnvKeySigner);
    assert.equal(signer.address, ADDRESS_0);
    assert.equal(
      createSigner({ security: { keyBackend: 'env' }, settlementInfra: { privateKey: KEY } }).address,
      ADDRESS_0,
    );
  });

  it('env backend with a mnemonic gives an HdWalletSigner at the default or configured path', () => {
    const first = createSigner({ settlementInfra: { mnemonic: MNEMONIC } });
    assert.ok(first instanceof HdWalletSigner);
    assert.equal(first.address, ADDRESS_0);
    assert.equal(first.path, "m/44'/60'/0'/0/0");
    const second = createSigner({
      settlementInfra: { mnemonic: MNEMONIC, derivationPath: "m/44'/60'/0'/0/1" },
    });
    assert.equal(second.address, ADDRESS_1);
  });

  it('takes a loaded config: the loose settlementInfra keeps mnemonic and derivationPath', () => {
    const base = { nodeId: 'a', btpServerPort: 3000, peers: [], routes: [], environment: 'development' };
    const withKey = parseConfigObject({ ...base, settlementInfra: { privateKey: KEY } });
    assert.equal(createSigner(withKey).address, ADDRESS_0);
    const withMnemonic = parseConfigObject({
      ...base,
      settlementInfra: { mnemonic: MNEMONIC, derivationPath: "m/44'/60'/0'/0/1" },
    });
    assert.equal(createSigner(withMnemonic).address, ADDRESS_1);
  });

  for (const backend of ['aws-kms', 'gcp-kms', 'azure-kv'] as const) {
    it(`refuses ${backend} synchronously with ERR_SETTLEMENT_UNAVAILABLE, pointing at openSigner`, () => {
      assertThrowsQuietly(
        () => createSigner({ security: { keyBackend: backend }, settlementInfra: { privateKey: KEY } }),
        'ERR_SETTLEMENT_UNAVAILABLE',
        [KEY],
        new RegExp(`${backend}.*openSigner`),
      );
    });
  }

  it('refuses no key and both keys', () => {
    assertThrowsQuietly(() => createSigner({}), 'ERR_SETTLEMENT_UNAVAILABLE', [], /EVM_PRIVATE_KEY/);
    assertThrowsQuietly(
      () => createSigner({ settlementInfra: { privateKey: KEY, mnemonic: MNEMONIC } }),
      'ERR_CONFIG_INVALID',
      [KEY, MNEMONIC],
      /not both/,
    );
  });

  it('bad private keys are config errors at their path that never show the key', () => {
    const bad = [
      KEY.slice(0, -1),
      `${KEY}0`,
      KEY.slice(2),
      `0x${'zz'.repeat(32)}`,
      `0x${'00'.repeat(32)}`,
      `0x${SECP256K1_N.toString(16)}`,
    ];
    for (const privateKey of bad) {
      assertThrowsQuietly(
        () => createSigner({ settlementInfra: { privateKey } }),
        'ERR_CONFIG_INVALID',
        [privateKey],
        /settlementInfra\.privateKey/,
      );
    }
  });

  it('bad mnemonics and paths are refused without echoing words', () => {
    const mnemonics = [
      'test test test',
      'test test test test test test test test test test test test', // checksum
      'test test test test test test test test test test test jumk', // not a word
    ];
    for (const mnemonic of mnemonics) {
      assertThrowsQuietly(() => createSigner({ settlementInfra: { mnemonic } }), 'ERR_CONFIG_INVALID', [
        'jumk',
        'test test',
      ]);
    }
    assert.throws(() => checkMnemonic(mnemonics[1]!), /checksum/);
    assert.throws(() => checkMnemonic(mnemonics[2]!), /word 12 is not/);
    assert.equal(checkMnemonic(`  ${MNEMONIC.replaceAll(' ', '  ')}\n`), MNEMONIC);
    for (const path of [
      "m/44'/60'/0'/0/",
      'm',
      "44'/60'",
      "m/44'/60'/2147483648",
      'm/0/0/0/0/0/0/0/0/0/0/0',
    ]) {
      assert.throws(() => checkDerivationPath(path), ConnectorError, path);
    }
    assert.equal(checkDerivationPath("m/0/1'"), "m/0/1'");
  });

  it('EnvKeySigner.fromEnv reads EVM_PRIVATE_KEY', () => {
    assert.equal(EnvKeySigner.fromEnv({ EVM_PRIVATE_KEY: KEY }).address, ADDRESS_0);
    assertThrowsQuietly(() => EnvKeySigner.fromEnv({}), 'ERR_SETTLEMENT_UNAVAILABLE', [], /EVM_PRIVATE_KEY/);
    assertThrowsQuietly(() => EnvKeySigner.fromEnv({ EVM_PRIVATE_KEY: '0x1234' }), 'ERR_INVALID_ARGUMENT', [
      '0x1234',
    ]);
  });
});

describe('signature normalisation', () => {
  const r = 0x1234n;
  const s = 0x5678n;

  it('keeps canonical signatures, maps v 0/1 to 27/28, mirrors high s and flips v', () => {
    const hex = (n: bigint) => n.toString(16).padStart(64, '0');
    const canonical = `0x${hex(r)}${hex(s)}1b` as const;
    assert.equal(normaliseSignature(canonical), canonical);
    assert.equal(normaliseSignature({ r, s, v: 0 }), canonical);
    assert.equal(normaliseSignature({ r, s: SECP256K1_N - s, v: 28 }), canonical);
    assert.equal(normaliseSignature({ r, s: SECP256K1_N - s, v: 1 }), canonical);
    assert.deepEqual(splitSignature(canonical), { r, s, v: 27 });
  });

  it('refuses what cannot be normalised', () => {
    for (const parts of [
      { r, s, v: 29 },
      { r, s, v: 2 },
      { r: 0n, s, v: 27 },
      { r, s: 0n, v: 27 },
      { r: SECP256K1_N, s, v: 27 },
      { r, s: SECP256K1_N, v: 27 },
    ]) {
      assert.throws(
        () => normaliseSignature(parts),
        ConnectorError,
        JSON.stringify(parts, (_, v) => String(v)),
      );
    }
    assert.throws(() => normaliseSignature(`0x${'11'.repeat(64)}`), /65 bytes/);
    assert.throws(() => normaliseSignature('0xnothex' as `0x${string}`), /not hex/);
  });
});

describe('redaction', () => {
  it('RPC URLs keep scheme and host only', () => {
    assert.equal(
      redactUrl('https://base-mainnet.g.alchemy.com/v2/abcdefSECRET'),
      'https://base-mainnet.g.alchemy.com/…',
    );
    assert.equal(redactUrl('https://user:pass@rpc.example/?key=SECRET'), 'https://rpc.example/…');
    assert.equal(redactUrl('http://127.0.0.1:8545'), 'http://127.0.0.1:8545');
    const url = 'https://rpc.example/v2/SECRET';
    assert.equal(redactUrlIn(`request to ${url} failed`, url), 'request to https://rpc.example/… failed');
  });

  it('raw keys and listed secrets are replaced', () => {
    assert.equal(redactKeys(`key ${KEY} here`), 'key 0x[redacted] here');
    assert.equal(redactKeys(`words ${MNEMONIC}.`, [MNEMONIC]), 'words [redacted].');
  });
});
