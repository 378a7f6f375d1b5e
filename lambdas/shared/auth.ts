import type { Role, VerifiedPrincipal } from '../../core/auth/tokens.js';
import { bearerToken } from '../../core/auth/tokens.js';
import { AppError } from '../../core/errors.js';
import { tokenRegistry, tokenVerifier } from '../../core/services/token-verifier.js';
import { type HttpEvent, header } from './http.js';

/**
 * Verifies the bearer token (signature with the published public keys, issuer, audience, age)
 * and, for `admin`, that the token is still current in the users table (not revoked, user still
 * an admin): every admin operation pays one consistent read for that. In AWS the gateway's JWT
 * authorizer has already refused bad tokens on these routes; this check is the one that counts.
 */
export async function requirePrincipal(event: HttpEvent, role?: Role): Promise<VerifiedPrincipal> {
  const principal = await tokenVerifier().verify(bearerToken(header(event, 'authorization')));
  if (role === 'admin') {
    if (principal.role !== 'admin') throw new AppError('FORBIDDEN', 'this operation needs the admin role');
    return tokenRegistry().requireCurrent(principal, 'admin');
  }
  return principal;
}

/** The caller if a valid token was sent, otherwise undefined (an invalid token is still an error). */
export async function optionalPrincipal(event: HttpEvent): Promise<VerifiedPrincipal | undefined> {
  return header(event, 'authorization') ? requirePrincipal(event) : undefined;
}

/** The client's address as API Gateway saw it (the local server fills in the socket's). */
export function clientAddress(event: HttpEvent): string {
  return event.requestContext?.http?.sourceIp ?? 'unknown';
}
