import * as z from './zod.js';

/**
 * Request and response schemas, defined once: handlers validate with them, and the OpenAPI
 * document is generated from them.
 */
export const Username = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$/,
      'must be 3–64 characters: letters, digits, "_", ".", "@" or "-"',
    ),
  );
/** Type and size only: the password policy (core/auth/password-policy.ts) answers 422 WEAK_PASSWORD naming its rule. */
export const Password = z
  .string()
  .check(z.minLength(1, 'is required'), z.maxLength(256, 'must be at most 256 characters'));
export const Role = z.enum(['user', 'admin']);

export const CreateUserBody = z.strictObject({
  username: Username,
  password: Password,
  role: z.optional(Role),
});
export type CreateUserBody = z.infer<typeof CreateUserBody>;

/** `POST /users/{username}/password`: your own needs `current_password`; an admin resets anyone's without it. */
export const ChangePasswordBody = z.strictObject({
  current_password: z.optional(z.string().check(z.maxLength(1024, 'must be at most 1024 characters'))),
  new_password: Password,
});

export const UserPath = z.strictObject({ username: Username });

export const TokensRevoked = z.object({
  username: z.string(),
  token_version: z
    .int()
    .check(z.meta({ description: 'tokens issued before this version are refused by the admin routes' })),
  request_id: z.string(),
});

export const Jwks = z.object({
  keys: z.array(
    z.object({
      kty: z.literal('RSA'),
      kid: z.string(),
      alg: z.literal('RS256'),
      use: z.literal('sig'),
      n: z.string(),
      e: z.string(),
    }),
  ),
});

export const OpenIdConfiguration = z.object({
  issuer: z.string(),
  jwks_uri: z.string(),
  token_endpoint: z.string(),
  grant_types_supported: z.array(z.string()),
  response_types_supported: z.array(z.string()),
  subject_types_supported: z.array(z.string()),
  id_token_signing_alg_values_supported: z.array(z.string()),
  token_endpoint_auth_methods_supported: z.array(z.string()),
  claims_supported: z.array(z.string()),
});

export const TokenBody = z.object({
  grant_type: z.optional(z.literal('password')),
  username: z
    .string()
    .check(z.minLength(1, 'is required'), z.maxLength(128, 'must be at most 128 characters')),
  password: z
    .string()
    .check(z.minLength(1, 'is required'), z.maxLength(1024, 'must be at most 1024 characters')),
});

const FeatureValue = z.number().check(z.meta({ description: 'a finite number (float32 range)' }));
const FeatureRow = z.union([z.array(FeatureValue).check(z.minLength(1)), z.record(z.string(), FeatureValue)]);

const Selector = {
  model: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  version: z.optional(z.int().check(z.positive())),
  alias: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
};

export const PredictOneBody = z.strictObject({ features: FeatureRow, ...Selector });

export function predictManyBody(maxRows: number) {
  return z.strictObject({
    instances: z
      .array(FeatureRow)
      .check(z.minLength(1), z.maxLength(maxRows, `at most ${maxRows} rows per request`)),
    ...Selector,
  });
}

/** One schema per shape, picked by the key present, so a 422 names the field rather than "no union member matched". */
export function predictBody(maxRows: number) {
  return z.union([PredictOneBody, predictManyBody(maxRows)]);
}
export type PredictBody = z.infer<ReturnType<typeof predictBody>>;

export const Probabilities = z
  .record(z.string(), z.number())
  .check(z.meta({ description: "class label → probability, in the order of the model's classes" }));
export const ScoredRow = z.object({ prediction: z.string(), probabilities: Probabilities });

const ModelFields = {
  model_name: z.string(),
  model_version: z.int(),
  timestamp: z.iso.datetime(),
  request_id: z.string(),
};
export const PredictOneResponse = z.object({
  prediction: z.string().check(z.meta({ description: 'the predicted class label' })),
  probabilities: Probabilities,
  ...ModelFields,
});
export const PredictManyResponse = z.object({ predictions: z.array(ScoredRow), ...ModelFields });
export const PredictResponse = z.union([PredictOneResponse, PredictManyResponse]);

/** `GET /model-info?model=&version=&alias=`: the same selector as /predict, from the query string. */
export const ModelInfoQuery = z.strictObject({
  model: Selector.model,
  version: z.optional(z.coerce.number().check(z.int(), z.positive())),
  alias: Selector.alias,
});

export const ModelInfo = z.object({
  name: z.string(),
  version: z.int(),
  aliases: z.array(z.string()),
  algorithm: z.string(),
  metrics: z.record(z.string(), z.number()),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  feature_names: z
    .array(z.string())
    .check(z.meta({ description: 'the order `features` arrays must follow' })),
  classes: z.array(z.string()),
  trained_at: z.string(),
  run_id: z.string(),
  dataset: z.object({ source: z.string(), fingerprint: z.string(), rows: z.int() }),
  sha256: z.string(),
  request_id: z.string(),
});

export const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  live: z.literal(true),
  registry: z.enum(['reachable', 'unreachable']),
  model: z.object({
    name: z.optional(z.string()),
    version: z.optional(z.int()),
    loaded: z.boolean(),
    reason: z.optional(z.string()),
  }),
  request_id: z.string(),
});

export const ServiceIndex = z.object({
  name: z.string(),
  version: z.string(),
  links: z.record(z.string(), z.string()),
  request_id: z.string(),
});

export const UserCreated = z.object({ username: z.string(), role: Role, request_id: z.string() });

export const TokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.int().check(z.meta({ description: 'seconds' })),
  request_id: z.string(),
});

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.optional(z.string()), message: z.string() })),
  }),
  request_id: z.string(),
});
