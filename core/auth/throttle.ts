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
  /** Failed attempts within `windowSeconds` that lock the username. */
  readonly maxFailures: number;
  /** How long failures are remembered, and how long a lock lasts. */
  readonly windowSeconds: number;
  readonly now?: () => number;
}

interface ThrottleItem {
  failures: number;
  windowStart: number;
  lockedUntil?: number;
}

/**
 * Failed-login counting per username, in the users table (pk = LOGIN#<username>, sk = THROTTLE,
 * TTL on expiresAt) so every Lambda instance sees the same count. Keyed by the name as typed,
 * whether or not the user exists, so a lock reveals nothing about which names are registered.
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

  /** Throws TOO_MANY_ATTEMPTS while the name is locked; returns whether failures are on record. */
  async check(username: string): Promise<boolean> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key(username), ConsistentRead: true }),
    );
    const item = out.Item as ThrottleItem | undefined;
    if (!item) return false;
    const now = this.now();
    if (item.lockedUntil !== undefined && item.lockedUntil > now) {
      throw new AppError('TOO_MANY_ATTEMPTS', 'too many failed sign-in attempts; try again later', {
        retryAfter: Math.ceil((item.lockedUntil - now) / 1000),
      });
    }
    return item.failures > 0;
  }

  /** Counts one failure; the attempt that reaches the limit locks the name for one window. */
  async recordFailure(username: string): Promise<void> {
    const now = this.now();
    const windowMs = this.settings.windowSeconds * 1000;
    const expiresAt = Math.ceil((now + 2 * windowMs) / 1000);
    let failures: number;
    try {
      // Conditional on the window still being open; otherwise start a fresh window below.
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(username),
          UpdateExpression: 'ADD failures :one SET expiresAt = :exp',
          ConditionExpression: 'windowStart > :cutoff',
          ExpressionAttributeValues: { ':one': 1, ':exp': expiresAt, ':cutoff': now - windowMs },
          ReturnValues: 'ALL_NEW',
        }),
      );
      failures = (out.Attributes as ThrottleItem).failures;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key(username), failures: 1, windowStart: now, expiresAt },
        }),
      );
      failures = 1;
    }
    if (failures >= this.settings.maxFailures) {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(username),
          UpdateExpression: 'SET lockedUntil = :until',
          ExpressionAttributeValues: { ':until': now + windowMs },
        }),
      );
    }
  }

  async reset(username: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key(username) }));
  }
}

const key = (username: string) => ({ pk: `LOGIN#${username}`, sk: 'THROTTLE' });
