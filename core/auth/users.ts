import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AppError } from '../errors.js';
import type { PasswordHash } from './passwords.js';
import type { Role } from './tokens.js';

/** Users table items: pk = USER#<username>, sk = PROFILE. */
export interface UserRecord {
  readonly username: string;
  readonly role: Role;
  readonly password: PasswordHash;
  readonly createdAt: string;
  /**
   * Tokens carry the version they were issued at (`ver`); bumping it (revocation, password
   * change) makes every earlier token fail the admin routes' registry check. Absent = 0.
   */
  readonly tokenVersion?: number;
}

/** What the admin routes read per request: no password hash (the admin function's grant allows only these). */
export interface TokenState {
  readonly role: Role;
  readonly tokenVersion: number;
}

/** Attributes the admin function may read from the users table (its IAM grant names exactly these). */
export const TOKEN_STATE_ATTRIBUTES = ['pk', 'sk', 'role', 'tokenVersion'] as const;

const key = (username: string) => ({ pk: `USER#${username}`, sk: 'PROFILE' });

export class UserStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(user: UserRecord): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key(user.username), ...user, tokenVersion: user.tokenVersion ?? 0 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new AppError('USER_EXISTS', `user "${user.username}" already exists`);
      }
      throw error;
    }
  }

  async get(username: string): Promise<UserRecord | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key(username), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { username: name, role, password, createdAt, tokenVersion } = out.Item as UserRecord;
    return { username: name, role, password, createdAt, tokenVersion: tokenVersion ?? 0 };
  }

  /** Role and token version only (a strongly consistent read, so a revocation counts at once). */
  async tokenState(username: string): Promise<TokenState | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: key(username),
        ConsistentRead: true,
        ProjectionExpression: '#role, tokenVersion',
        ExpressionAttributeNames: { '#role': 'role' },
      }),
    );
    if (!out.Item) return undefined;
    return { role: out.Item['role'] as Role, tokenVersion: (out.Item['tokenVersion'] as number) ?? 0 };
  }

  /** Revokes every token issued so far; returns the new version. */
  async bumpTokenVersion(username: string): Promise<number> {
    return this.update(username, 'ADD tokenVersion :one', { ':one': 1 });
  }

  /** New password hash and, in the same write, a new token version (old sessions end). */
  async setPassword(username: string, password: PasswordHash): Promise<number> {
    return this.update(username, 'SET password = :password ADD tokenVersion :one', {
      ':password': password,
      ':one': 1,
    });
  }

  private async update(
    username: string,
    expression: string,
    values: Record<string, unknown>,
  ): Promise<number> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(username),
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return out.Attributes?.['tokenVersion'] as number;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new AppError('NOT_FOUND', `no user "${username}"`);
      }
      throw error;
    }
  }
}
