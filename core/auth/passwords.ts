import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt parameters (N=2^14, r=8, p=1: OWASP's minimum, ~25 ms here); stored with each hash so they can be raised later. */
const PARAMS = { N: 16384, r: 8, p: 1, keyLength: 32 } as const;

export interface PasswordHash {
  readonly algorithm: 'scrypt';
  readonly salt: string;
  readonly hash: string;
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

function derive(
  password: string,
  salt: Buffer,
  params: ScryptOptions & { keyLength: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      params.keyLength,
      { ...params, maxmem: 64 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return {
    algorithm: 'scrypt',
    salt: salt.toString('base64'),
    hash: key.toString('base64'),
    N: PARAMS.N,
    r: PARAMS.r,
    p: PARAMS.p,
  };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const key = await derive(password, Buffer.from(stored.salt, 'base64'), {
    N: stored.N,
    r: stored.r,
    p: stored.p,
    keyLength: expected.length,
  });
  return timingSafeEqual(key, expected);
}

/**
 * A hash no password matches, checked when the user does not exist so that "unknown user"
 * costs the same scrypt work as "wrong password" and the two cannot be told apart by timing.
 */
let decoy: Promise<PasswordHash> | undefined;
export function decoyHash(): Promise<PasswordHash> {
  decoy ??= hashPassword(randomBytes(32).toString('hex'));
  return decoy;
}
