import { AppError } from '../errors.js';

/**
 * Size limits of registry metadata, checked before anything is written (a version number is
 * reserved only for a record that fits). SageMaker allows 50 tags per resource; DynamoDB items
 * stop at 400 KB, and a version record carries feature names and classes besides its tags.
 */
export const TAG_LIMITS = { maxTags: 50, maxKeyLength: 128, maxValueLength: 256 } as const;
export const MAX_DESCRIPTION_LENGTH = 1000;
/** Of DynamoDB's 400 KB per item, what a version record may use (attribute names included). */
export const MAX_VERSION_RECORD_BYTES = 300_000;

/** Throws VALIDATION_FAILED naming the problem when `tags` break a limit. */
export function assertTags(tags: Readonly<Record<string, string>> | undefined, field = 'tags'): void {
  if (!tags) return;
  const entries = Object.entries(tags);
  const problem = (message: string) => {
    throw new AppError('VALIDATION_FAILED', `${field}: ${message}`, { details: [{ field, message }] });
  };
  if (entries.length > TAG_LIMITS.maxTags)
    problem(`at most ${TAG_LIMITS.maxTags} tags, got ${entries.length}`);
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > TAG_LIMITS.maxKeyLength) {
      problem(`tag keys are 1–${TAG_LIMITS.maxKeyLength} characters`);
    }
    if (typeof value !== 'string' || value.length > TAG_LIMITS.maxValueLength) {
      problem(
        `tag "${key.slice(0, 40)}": values are strings of at most ${TAG_LIMITS.maxValueLength} characters`,
      );
    }
  }
}

/** A version record that DynamoDB would refuse (too large) is refused here, before a number is reserved. */
export function assertRecordFits(record: object, what: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(record));
  if (bytes > MAX_VERSION_RECORD_BYTES) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${what} is ${bytes} bytes; the registry stores at most ${MAX_VERSION_RECORD_BYTES} (fewer features, shorter names or fewer tags)`,
    );
  }
}
