import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, NotFound, type S3Client } from '@aws-sdk/client-s3';
import { type KeyAttribute, TABLES, type TableDefinition } from '../core/config/tables.js';

/**
 * Creates the tables and bucket the CDK storage stack would create, from the same
 * definitions, when they are missing. Idempotent: safe on every start.
 */
export async function ensureTables(client: DynamoDBClient, names: Record<TableDefinition['id'], string>) {
  for (const table of TABLES) {
    const name = names[table.id];
    if (await tableExists(client, name)) continue;
    // No UpdateTimeToLive here: dynalite does not implement it, and the code never relies on
    // TTL deletion (expired items are ignored on read); CDK enables TTL on the real table.
    await client.send(new CreateTableCommand(createTableInput(table, name)));
  }
}

export function createTableInput(table: TableDefinition, name: string): CreateTableCommandInput {
  const attributes = new Map<string, KeyAttribute>();
  const add = (key?: KeyAttribute) => key && attributes.set(key.name, key);
  add(table.partitionKey);
  add(table.sortKey);
  for (const index of table.globalSecondaryIndexes) {
    add(index.partitionKey);
    add(index.sortKey);
  }
  const keySchema = (partition: KeyAttribute, sort?: KeyAttribute) => [
    { AttributeName: partition.name, KeyType: 'HASH' as const },
    ...(sort ? [{ AttributeName: sort.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()].map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type,
    })),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    ...(table.globalSecondaryIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
}

async function tableExists(client: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

/**
 * Creates the bucket only when S3 says it is missing (404). Any other answer is an emulator (or
 * permission) problem and is reported as one: creating the bucket would only fail with "bucket
 * already exists" and hide the cause.
 */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (!(error instanceof NotFound) && status !== 404) {
      throw new Error(
        `S3 could not check bucket "${bucket}" (HeadBucket answered ${status ?? (error as Error).name}): ` +
          'the emulator or its state is in error, the bucket is not missing',
        { cause: error },
      );
    }
  }
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}
