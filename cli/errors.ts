import { AppError } from '../core/errors.js';

/** Wrong command line (unknown command/flag, missing argument): exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One line for any failure, and the exit status: 2 for usage errors, 1 for everything else. */
export function describeFailure(error: unknown): { message: string; status: 1 | 2 } {
  if (error instanceof UsageError) return { message: error.message, status: 2 };
  if (error instanceof AppError) return { message: oneLine(error.message), status: 1 };
  const code = (error as { code?: string })?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    return { message: oneLine((error as Error).message), status: 2 };
  }
  const name = (error as { name?: string })?.name;
  if (name === 'CredentialsProviderError' || name === 'ExpiredTokenException') {
    return { message: `AWS credentials: ${oneLine((error as Error).message)}`, status: 1 };
  }
  if ((error as Error)?.message === 'Region is missing') {
    return { message: 'AWS region is not set: export AWS_REGION or use a profile with a region', status: 1 };
  }
  if (code === 'ECONNREFUSED') {
    return { message: 'cannot reach the local emulators; is "npm start" still running?', status: 1 };
  }
  return { message: oneLine(error instanceof Error ? error.message : String(error)), status: 1 };
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
