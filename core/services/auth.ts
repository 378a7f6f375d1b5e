import { KeyRing } from '../auth/key-ring.js';
import { FileKeyStore, type KeyStore, SecretsManagerKeyStore } from '../auth/key-store.js';
import { PasswordGate } from '../auth/password-gate.js';
import { AuthService } from '../auth/service.js';
import { LoginThrottle } from '../auth/throttle.js';
import { TokenIssuer } from '../auth/tokens.js';
import { UserStore } from '../auth/users.js';
import { documentClient } from '../aws/clients.js';
import { booleanEnv, numberEnv, optionalEnv, requireEnv } from '../config/env.js';
import { lazy } from './lazy.js';
import { publishedJwks, tokenRegistry, tokenSettings } from './token-verifier.js';

export { publishedJwks, tokenRegistry, tokenSettings, tokenVerifier } from './token-verifier.js';

/** The private keys: JWT_SECRET_ARN (Secrets Manager) in AWS, JWT_KEY_FILE (a 0600 file) locally. */
export function keyStoreFromEnv(): KeyStore {
  const arn = optionalEnv('jwtSecretArn');
  if (arn) return new SecretsManagerKeyStore(arn);
  const file = optionalEnv('jwtKeyFile');
  if (file) return new FileKeyStore(file);
  throw new Error('set JWT_SECRET_ARN (AWS) or JWT_KEY_FILE (local) to configure token signing');
}

/** The auth function's keys: signs, serves /.well-known/jwks.json, publishes auth/jwks.json. */
export const keyRing = /* @__PURE__ */ lazy(
  () =>
    new KeyRing(keyStoreFromEnv(), {
      maxTokenAgeMs: tokenSettings().ttlSeconds * 1000,
      ...(optionalEnv('artifactBucket') ? { published: publishedJwks() } : {}),
    }),
);

export const tokenIssuer = /* @__PURE__ */ lazy(() => new TokenIssuer(keyRing(), tokenSettings()));

export const authService = /* @__PURE__ */ lazy(
  () =>
    new AuthService(
      new UserStore(documentClient(), requireEnv('usersTable')),
      tokenIssuer(),
      tokenRegistry(),
      {
        allowSelfRegistration: booleanEnv('allowSelfRegistration', false),
        throttle: new LoginThrottle(documentClient(), requireEnv('usersTable'), {
          maxFailures: numberEnv('loginMaxFailures', 5),
          windowSeconds: numberEnv('loginWindowSeconds', 900),
          userMaxFailures: numberEnv('loginUserMaxFailures', 50),
          addressMaxFailures: numberEnv('loginAddressMaxFailures', 30),
        }),
        gate: new PasswordGate({ concurrency: 2, maxWaiting: 32 }),
      },
    ),
);
