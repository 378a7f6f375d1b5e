import type { Principal, Role } from '../../core/auth/tokens.js';
import { bearerToken } from '../../core/auth/tokens.js';
import { AppError } from '../../core/errors.js';
import { tokenService } from '../../core/services/auth.js';
import { type HttpEvent, header } from './http.js';

/** Verifies the bearer token and, when asked, the role. */
export async function requirePrincipal(event: HttpEvent, role?: Role): Promise<Principal> {
  const principal = await tokenService().verify(bearerToken(header(event, 'authorization')));
  if (role === 'admin' && principal.role !== 'admin') {
    throw new AppError('FORBIDDEN', 'this operation needs the admin role');
  }
  return principal;
}

/** The caller if a valid token was sent, otherwise undefined (an invalid token is still an error). */
export async function optionalPrincipal(event: HttpEvent): Promise<Principal | undefined> {
  return header(event, 'authorization') ? requirePrincipal(event) : undefined;
}
