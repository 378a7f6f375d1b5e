import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AppError } from '../errors.js';

export interface ThrottleSettings {
  /** Failed attempts per (username, client address) within a window. */
  readonly maxFailures: number;
  /** First window length; each window that ends locked doubles the next one (backoff). */
  readonly windowSeconds: number;
  /** Ceiling of the backoff. */
  readonly maxWindowSeconds?: number;
  /** Failed attempts per username from addresses it never signed in from (distributed guessing). */
  readonly userMaxFailures: number;
  /** Failed attempts per client address across all usernames (checked before any password work). */
  readonly addressMaxFailures: number;
  /** How long a successful sign-in makes an address "known" for that user. */
  readonly knownAddressDays?: number;
  readonly now?: () => number;
}

interface CounterItem {
  attempts: number;
  windowEnd: number;
  strikes: number;
}

type Reservation = { readonly pk: string; readonly sk: string; readonly windowEnd: number };

/**
 * Counts sign-in attempts before the password is checked, atomically: each attempt reserves a
 * slot with one conditional DynamoDB update (`ADD attempts :one` only while `attempts < limit`
 * in an open window), so N concurrent wrong passwords lead to at most `limit` password checks.
 * A success gives its slots back; a failure keeps them.
 *
 * Three counters, all in the users table (TTL on `expiresAt` in AWS):
 * - (username, address): `maxFailures` per window, with backoff. An attacker elsewhere locks
 *   only their own pair, never the real user's.
 * - username, for addresses the user has not signed in from: `userMaxFailures` per window, so
 *   many addresses cannot guess without bound, while the user's known addresses stay open.
 * - address, across usernames: `addressMaxFailures` per window, so a flood of random names from
 *   one address costs one conditional write each instead of a scrypt hash.
 */
export class LoginThrottle {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly settings: ThrottleSettings,
  ) {
    this.now = settings.now ?? Date.now;
  }

  /** Reserves the attempt or throws TOO_MANY_ATTEMPTS (with Retry-After) without any password work. */
  async begin(username: string, clientAddress: string): Promise<LoginAttempt> {
    const address = addressKey(clientAddress);
    const held: Reservation[] = [];
    const giveBack = () => Promise.all(held.map((r) => this.release(r)));
    try {
      held.push(await this.reserve(`ADDR#${address}`, 'LOGIN', this.settings.addressMaxFailures));
      held.push(await this.reserve(`LOGIN#${username}`, `ADDR#${address}`, this.settings.maxFailures));
      const known = await this.isKnown(username, address);
      if (!known) held.push(await this.reserve(`LOGIN#${username}`, 'ALL', this.settings.userMaxFailures));
      return new LoginAttempt(known, {
        succeeded: async () => {
          await Promise.all([
            this.release(held[0]!),
            this.clear(held[1]!),
            ...(held[2] ? [this.release(held[2])] : []),
            this.remember(username, address),
          ]);
        },
        abandoned: async () => {
          await giveBack();
        },
      });
    } catch (error) {
      await giveBack();
      throw error;
    }
  }

  /** One slot in the counter's current window, or TOO_MANY_ATTEMPTS while it is full. */
  private async reserve(pk: string, sk: string, limit: number): Promise<Reservation> {
    for (let round = 0; round < 5; round++) {
      const now = this.now();
      try {
        // One write for the common cases: a slot in an open window, or the first attempt ever.
        const out = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk, sk },
            UpdateExpression:
              'ADD attempts :one SET windowEnd = if_not_exists(windowEnd, :end), ' +
              'strikes = if_not_exists(strikes, :zero), expiresAt = if_not_exists(expiresAt, :exp)',
            ConditionExpression: 'attribute_not_exists(pk) OR (windowEnd > :now AND attempts < :limit)',
            ExpressionAttributeValues: {
              ':one': 1,
              ':zero': 0,
              ':now': now,
              ':limit': limit,
              ':end': now + this.windowMs(0),
              ':exp': this.expiry(now + this.windowMs(0)),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { pk, sk, windowEnd: (out.Attributes as CounterItem).windowEnd };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      const current = (
        await this.client.send(
          new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
        )
      ).Item as CounterItem | undefined;
      if (current && current.windowEnd > now) {
        if (current.attempts < limit) continue; // a window opened meanwhile: take a slot in it
        throw new AppError('TOO_MANY_ATTEMPTS', 'too many failed sign-in attempts; try again later', {
          retryAfter: Math.max(1, Math.ceil((current.windowEnd - now) / 1000)),
        });
      }
      if (!current) continue; // deleted meanwhile (a success): the next round creates it
      // An expired window: open the next, longer if the last one ended full (backoff).
      const strikes = current.attempts >= limit ? current.strikes + 1 : 0;
      const windowEnd = now + this.windowMs(strikes);
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk, sk, attempts: 1, windowEnd, strikes, expiresAt: this.expiry(windowEnd) },
            ConditionExpression: 'windowEnd = :seen',
            ExpressionAttributeValues: { ':seen': current.windowEnd },
          }),
        );
        return { pk, sk, windowEnd };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another attempt opened the window first: take a slot in it on the next round.
      }
    }
    throw new AppError('TOO_MANY_ATTEMPTS', 'too many concurrent sign-in attempts; try again', {
      retryAfter: 1,
    });
  }

  /** Gives a slot back (the attempt turned out to be a success, or was never tried). */
  private async release({ pk, sk, windowEnd }: Reservation): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk, sk },
          UpdateExpression: 'ADD attempts :minus',
          ConditionExpression: 'windowEnd = :end AND attempts > :zero',
          ExpressionAttributeValues: { ':minus': -1, ':end': windowEnd, ':zero': 0 },
        }),
      );
    } catch (error) {
      // The window has moved on since: nothing of this attempt is left to give back.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private async clear({ pk, sk }: Reservation): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk, sk } }));
  }

  private async isKnown(username: string, address: string): Promise<boolean> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `LOGIN#${username}`, sk: `KNOWN#${address}` } }),
    );
    return out.Item !== undefined && (out.Item['until'] as number) > this.now();
  }

  private async remember(username: string, address: string): Promise<void> {
    const until = this.now() + (this.settings.knownAddressDays ?? 30) * 86_400_000;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `LOGIN#${username}`, sk: `KNOWN#${address}`, until, expiresAt: Math.ceil(until / 1000) },
      }),
    );
  }

  private windowMs(strikes: number): number {
    const max = this.settings.maxWindowSeconds ?? 86_400;
    return Math.min(this.settings.windowSeconds * 2 ** Math.min(strikes, 20), max) * 1000;
  }

  /** DynamoDB TTL (epoch seconds): kept one more window so the backoff level survives a quiet spell. */
  private expiry(windowEnd: number): number {
    return Math.ceil((windowEnd + (this.settings.maxWindowSeconds ?? 86_400) * 1000) / 1000);
  }
}

/** A reserved sign-in attempt: report a success, or that it was never tried; a failure needs nothing. */
export class LoginAttempt {
  constructor(
    /** The user has signed in from this address before (its logins get priority for password checks). */
    readonly known: boolean,
    private readonly outcome: { succeeded(): Promise<void>; abandoned(): Promise<void> },
  ) {}

  succeeded(): Promise<void> {
    return this.outcome.succeeded();
  }

  abandoned(): Promise<void> {
    return this.outcome.abandoned();
  }
}

/**
 * The throttling key of a client address: IPv4 as is (also when IPv4-mapped), IPv6 by its /64
 * prefix, since one IPv6 client usually holds a whole /64. Hand-written: node:net validates
 * addresses but has no prefix helper, and this is all we need of one.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}
