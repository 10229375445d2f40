/**
 * A peer's ILP asset scale onto the token's decimals, exactly (DESIGN §7, Units). Conversions
 * are of cumulative amounts and round down, so what cannot be paid in token base units stays
 * owed in the ledger and is paid with a later claim, never rounded away.
 */
import { ConnectorError } from '../../utils/errors.js';

export class AssetUnits {
  readonly ilpScale: number;
  readonly tokenDecimals: number;
  /** 10^|decimals - scale|. */
  readonly #factor: bigint;
  readonly #tokenFiner: boolean;

  constructor(ilpScale: number, tokenDecimals: number) {
    for (const [what, v] of [
      ['asset scale', ilpScale],
      ['token decimals', tokenDecimals],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 255)
        throw new ConnectorError('ERR_INVALID_ARGUMENT', `${what} ${v} is not in 0..255`);
    }
    this.ilpScale = ilpScale;
    this.tokenDecimals = tokenDecimals;
    this.#factor = 10n ** BigInt(Math.abs(tokenDecimals - ilpScale));
    this.#tokenFiner = tokenDecimals >= ilpScale;
  }

  /** Token base units worth at most `ilp` (rounded down). */
  toToken(ilp: bigint): bigint {
    return this.#tokenFiner ? ilp * this.#factor : ilp / this.#factor;
  }

  /** ILP units that `token` base units pay for (rounded down). */
  toIlp(token: bigint): bigint {
    return this.#tokenFiner ? token / this.#factor : token * this.#factor;
  }
}
