import type { $ZodIssue } from 'zod/v4/core';
import { AppError, type ErrorDetail } from '../errors.js';
import type * as z from './zod.js';

/** Validates with a zod schema; a failure is a VALIDATION_FAILED (422) whose details name each field. */
export function validate<T extends z.ZodMiniType>(schema: T, data: unknown, what = 'request'): z.infer<T> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const details = flatten(parsed.error.issues, []).slice(0, 20);
  const first = details[0] ?? { message: 'invalid' };
  throw new AppError(
    'VALIDATION_FAILED',
    `invalid ${what}: ${first.field ? `${first.field}: ` : ''}${first.message}`,
    {
      details,
    },
  );
}

type Issue = $ZodIssue;

/**
 * Zod reports a failed union as one "Invalid input" with every branch's issues inside. Keep the
 * branches whose shape matched (no type error at their root), so `features: [1, "a"]` yields
 * `features[1]: expected number` rather than a complaint that the array is not an object.
 */
function flatten(issues: readonly Issue[], prefix: readonly PropertyKey[]): ErrorDetail[] {
  return issues.flatMap((issue): ErrorDetail[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const matching = issue.errors.filter(
        (branch) => !branch.some((i) => i.path.length === 0 && i.code === 'invalid_type'),
      );
      const chosen = matching.length > 0 ? matching : issue.errors;
      if (matching.length === 0) {
        return [
          {
            field: formatPath(path),
            message: 'must be an array of numbers or an object mapping feature names to numbers',
          },
        ];
      }
      return chosen.flatMap((branch) => flatten(branch, path));
    }
    return [{ field: formatPath(path), message: issue.message.replace(/^Invalid input: /, '') }];
  });
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) =>
      typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part),
    '',
  );
}
