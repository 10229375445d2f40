/**
 * The KMS SDKs are optional dependencies, imported on first use, so an operator on `env` keys
 * installs none of them. A missing one is a clear error naming the package to install.
 */
import { ConnectorError } from '../../utils/errors.js';

export async function loadSdk<T>(pkg: string, load: () => Promise<T>, backend: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    // Node says ERR_MODULE_NOT_FOUND for ESM and MODULE_NOT_FOUND for CommonJS resolution.
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.endsWith('MODULE_NOT_FOUND')) {
      throw new ConnectorError(
        'ERR_SETTLEMENT_UNAVAILABLE',
        `KEY_BACKEND=${backend} needs the package ${pkg}: install it (npm install ${pkg}); it is an optional dependency`,
      );
    }
    throw error;
  }
}
