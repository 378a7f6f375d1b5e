import { AppError } from '../errors.js';

/**
 * What a new password must satisfy, checked on user creation and on every password change.
 * Length over composition rules (NIST SP 800-63B); 12 characters as OWASP ASVS 4.0 (2.1.1) asks.
 */
export const PASSWORD_MIN_LENGTH = 12;

export type PasswordRule = 'min_length' | 'contains_username' | 'common_password';

/**
 * The 49,233 most common passwords of public breach corpora, as shipped by zxcvbn-ts (a
 * maintained package, also the dictionary its strength estimator uses). Loaded on first use: only
 * the auth function's user-management path pays for it, and it never reaches other bundles.
 */
let common: Promise<ReadonlySet<string>> | undefined;
function commonPasswords(): Promise<ReadonlySet<string>> {
  common ??= import('@zxcvbn-ts/language-common').then(
    (m) => new Set((m.dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase())),
  );
  return common;
}

const normalize = (s: string) => s.normalize('NFKC').toLowerCase();

/** The first rule `password` breaks, with a message naming it; undefined when it passes. */
export async function passwordProblem(
  password: string,
  username: string,
): Promise<{ rule: PasswordRule; message: string } | undefined> {
  // Count characters as the user sees them, not UTF-16 units.
  if ([...password.normalize('NFKC')].length < PASSWORD_MIN_LENGTH) {
    return { rule: 'min_length', message: `must be at least ${PASSWORD_MIN_LENGTH} characters` };
  }
  const pw = normalize(password);
  if (pw.includes(normalize(username))) {
    return { rule: 'contains_username', message: 'must not contain the username' };
  }
  const compact = pw.replace(/[\s._-]+/g, '');
  const list = await commonPasswords();
  if (list.has(pw) || list.has(compact)) {
    return { rule: 'common_password', message: 'is one of the most common passwords; choose another' };
  }
  return undefined;
}

/** Throws a 422 WEAK_PASSWORD naming the broken rule. */
export async function assertPasswordPolicy(password: string, username: string): Promise<void> {
  const problem = await passwordProblem(password, username);
  if (problem) {
    throw new AppError('WEAK_PASSWORD', `password ${problem.message} (rule "${problem.rule}")`, {
      details: [{ field: 'password', message: `${problem.rule}: ${problem.message}` }],
    });
  }
}
