import { AppError } from '../errors.js';
import type { Role, VerifiedPrincipal } from './tokens.js';
import type { UserStore } from './users.js';

/**
 * The revocation check: a verified token is current only while its user exists, still has the
 * token's version and (for admin operations) still has the role. One consistent read of the
 * user's item per call, no cache, so a revocation or password change counts from the next call.
 */
export class TokenRegistry {
  constructor(private readonly users: UserStore) {}

  async requireCurrent(principal: VerifiedPrincipal, role?: Role): Promise<VerifiedPrincipal> {
    const state = await this.users.tokenState(principal.username);
    if (!state) throw new AppError('INVALID_TOKEN', "the token's user no longer exists");
    if (state.tokenVersion !== principal.tokenVersion) {
      throw new AppError('INVALID_TOKEN', 'token has been revoked; sign in again');
    }
    if (role === 'admin' && state.role !== 'admin') {
      throw new AppError('FORBIDDEN', 'this operation needs the admin role');
    }
    return { ...principal, role: state.role };
  }
}
