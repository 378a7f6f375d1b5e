import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { AppError } from '../errors.js';
import type { PasswordHash } from './passwords.js';
import type { Role } from './tokens.js';

/** Users table items: pk = USER#<username>, sk = PROFILE. */
export interface UserRecord {
  readonly username: string;
  readonly role: Role;
  readonly password: PasswordHash;
  readonly createdAt: string;
}

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
          Item: { ...key(user.username), ...user },
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
    const { username: name, role, password, createdAt } = out.Item as UserRecord;
    return { username: name, role, password, createdAt };
  }
}
