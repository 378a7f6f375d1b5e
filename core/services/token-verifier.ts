import { JwksCache, PublishedJwks } from '../auth/jwks.js';
import { TokenRegistry } from '../auth/token-registry.js';
import { DEFAULT_TOKEN_TTL_SECONDS, type TokenSettings, TokenVerifier, tokenTtl } from '../auth/tokens.js';
import { UserStore } from '../auth/users.js';
import { documentClient, s3Client } from '../aws/clients.js';
import { numberEnv, optionalEnv, requireEnv } from '../config/env.js';
import { ARTIFACT_BUCKET } from '../config/tables.js';
import { lazy } from './lazy.js';

/**
 * What every function that checks tokens needs, and nothing that signs them: the predict and
 * admin functions import only this, so their bundles carry no key store and no Secrets Manager
 * client (test/infra/bundling.test.ts checks).
 */
export function tokenSettings(): TokenSettings {
  return {
    issuer: optionalEnv('jwtIssuer') ?? 'mlops',
    audience: optionalEnv('jwtAudience') ?? 'mlops-api',
    ttlSeconds: tokenTtl(numberEnv('tokenTtlSeconds', DEFAULT_TOKEN_TTL_SECONDS)),
  };
}

/** The public keys the auth function publishes in the artifact bucket (auth/jwks.json). */
export const publishedJwks = /* @__PURE__ */ lazy(
  () => new PublishedJwks(s3Client(), requireEnv('artifactBucket'), ARTIFACT_BUCKET.jwksKey),
);

export const tokenVerifier = /* @__PURE__ */ lazy(
  () => new TokenVerifier(new JwksCache(() => publishedJwks().read()), tokenSettings()),
);

/** Users' roles and token versions, read by every admin operation (revocation check). */
export const tokenRegistry = /* @__PURE__ */ lazy(
  () => new TokenRegistry(new UserStore(documentClient(), requireEnv('usersTable'))),
);
