/**
 * Domain errors as typed values with stable codes. Core modules throw these; the HTTP layer
 * (lambdas/shared/http.ts) and the CLI map codes to status codes / one-line messages in one place.
 */
export const ERROR_CODES = {
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  WEAK_PASSWORD: 422,
  UNAUTHORIZED: 401,
  INVALID_TOKEN: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  REGISTRATION_DISABLED: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  USER_EXISTS: 409,
  CONCURRENT_UPDATE: 409,
  /** Promoting a version whose features or classes differ from production's, without force. */
  SCHEMA_MISMATCH: 409,
  TOO_MANY_ATTEMPTS: 429,
  NO_MODEL: 503,
  MODEL_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetail {
  /** JSON path of the offending field, e.g. `features[2]` or `instances[0].petal_width`. */
  readonly field?: string;
  readonly message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];
  /** Seconds, for 429/503 answers. */
  readonly retryAfter?: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: readonly ErrorDetail[]; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details ?? [];
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

export const badRequest = (message: string, details?: ErrorDetail[]) =>
  new AppError('BAD_REQUEST', message, details ? { details } : {});
export const validationFailed = (message: string, details: ErrorDetail[]) =>
  new AppError('VALIDATION_FAILED', message, { details });
export const notFound = (message: string) => new AppError('NOT_FOUND', message);
export const conflict = (message: string) => new AppError('CONFLICT', message);

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

export function assertIsError(error: unknown): asserts error is Error {
  if (!(error instanceof Error)) throw new Error(`non-Error thrown: ${String(error)}`);
}
