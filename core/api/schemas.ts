import { z } from 'zod';

/**
 * Request and response schemas, defined once: handlers validate with them, and the OpenAPI
 * document is generated from them.
 */
export const Username = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$/,
    'must be 3–64 characters: letters, digits, "_", ".", "@" or "-"',
  );
export const Password = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters');
export const Role = z.enum(['user', 'admin']);

export const CreateUserBody = z.strictObject({
  username: Username,
  password: Password,
  role: Role.optional(),
});
export type CreateUserBody = z.infer<typeof CreateUserBody>;

export const TokenBody = z.object({
  grant_type: z.literal('password').optional(),
  username: z.string().min(1, 'is required'),
  password: z.string().min(1, 'is required'),
});

const FeatureValue = z.number();
const FeatureRow = z.union([z.array(FeatureValue).min(1), z.record(z.string(), FeatureValue)]);

const Selector = {
  model: z.string().min(1).max(64).optional(),
  version: z.number().int().positive().optional(),
  alias: z.string().min(1).max(32).optional(),
};

export const PredictOneBody = z.strictObject({ features: FeatureRow, ...Selector });

export function predictManyBody(maxRows: number) {
  return z.strictObject({
    instances: z.array(FeatureRow).min(1).max(maxRows, `at most ${maxRows} rows per request`),
    ...Selector,
  });
}

/** One schema per shape, picked by the key present, so a 422 names the field rather than "no union member matched". */
export function predictBody(maxRows: number) {
  return z.union([PredictOneBody, predictManyBody(maxRows)]);
}
export type PredictBody = z.infer<ReturnType<typeof predictBody>>;

export const Probabilities = z.record(z.string(), z.number());
export const ScoredRow = z.object({ prediction: z.string(), probabilities: Probabilities });

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string().optional(), message: z.string() })),
  }),
  request_id: z.string(),
});
