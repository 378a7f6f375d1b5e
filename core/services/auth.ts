import { keyProviderFromEnv } from '../auth/keys.js';
import { AuthService } from '../auth/service.js';
import { LoginThrottle } from '../auth/throttle.js';
import { TokenService } from '../auth/tokens.js';
import { UserStore } from '../auth/users.js';
import { documentClient } from '../aws/clients.js';
import { booleanEnv, numberEnv, optionalEnv, requireEnv } from '../config/env.js';
import { lazy } from './lazy.js';

export const tokenService = /* @__PURE__ */ lazy(
  () =>
    new TokenService(keyProviderFromEnv(), {
      issuer: optionalEnv('jwtIssuer') ?? 'mlops',
      audience: optionalEnv('jwtAudience') ?? 'mlops-api',
      ttlSeconds: numberEnv('tokenTtlSeconds', 3600),
    }),
);

export const authService = /* @__PURE__ */ lazy(
  () =>
    new AuthService(new UserStore(documentClient(), requireEnv('usersTable')), tokenService(), {
      allowSelfRegistration: booleanEnv('allowSelfRegistration', false),
      throttle: new LoginThrottle(documentClient(), requireEnv('usersTable'), {
        maxFailures: numberEnv('loginMaxFailures', 5),
        windowSeconds: numberEnv('loginWindowSeconds', 900),
      }),
    }),
);
