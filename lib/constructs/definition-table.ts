import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { KeyAttribute, TableDefinition } from '../../core/config/tables.js';

/** A table together with the shared definition it was built from (env var, key schema). */
export interface BoundTable {
  readonly table: dynamodb.ITableV2;
  readonly definition: TableDefinition;
}

export interface DefinitionTableProps {
  /** The shared, plain-data design from core/config/tables.ts. */
  readonly definition: TableDefinition;
  /** Billing, encryption, PITR, removal policy: see lib/defaults.ts `tableDefaults`. */
  readonly tableProps: Omit<
    dynamodb.TablePropsV2,
    'partitionKey' | 'sortKey' | 'globalSecondaryIndexes' | 'timeToLiveAttribute'
  >;
}

const attributeType: Record<KeyAttribute['type'], dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
};

const toAttribute = (key: KeyAttribute): dynamodb.Attribute => ({
  name: key.name,
  type: attributeType[key.type],
});

/**
 * Maps a {@link TableDefinition} to TableV2 props: keys, GSIs (projection ALL, as the local
 * provisioner creates them) and TTL come only from the definition, so the deployed table and the
 * local one cannot drift.
 *
 * @example
 * new dynamodb.TableV2(this, 'Users', { ...tableDefaults(policy), ...tablePropsFromDefinition(USERS_TABLE) });
 */
export function tablePropsFromDefinition(
  definition: TableDefinition,
): Pick<
  dynamodb.TablePropsV2,
  'partitionKey' | 'sortKey' | 'globalSecondaryIndexes' | 'timeToLiveAttribute'
> {
  return {
    partitionKey: toAttribute(definition.partitionKey),
    ...(definition.sortKey ? { sortKey: toAttribute(definition.sortKey) } : {}),
    globalSecondaryIndexes: definition.globalSecondaryIndexes.map((index) => ({
      indexName: index.indexName,
      partitionKey: toAttribute(index.partitionKey),
      ...(index.sortKey ? { sortKey: toAttribute(index.sortKey) } : {}),
      projectionType: dynamodb.ProjectionType.ALL,
    })),
    ...(definition.timeToLiveAttribute ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
  };
}

/**
 * A DynamoDB table built from a shared {@link TableDefinition}.
 *
 * @example
 * const users = new DefinitionTable(this, 'UsersTable', { definition: USERS_TABLE, tableProps: tableDefaults(policy) });
 * fn.bindTable(users, 'readWrite');
 */
export class DefinitionTable extends Construct implements BoundTable {
  readonly table: dynamodb.TableV2;
  readonly definition: TableDefinition;

  constructor(scope: Construct, id: string, props: DefinitionTableProps) {
    super(scope, id);
    this.definition = props.definition;
    this.table = new dynamodb.TableV2(this, 'Table', {
      ...props.tableProps,
      ...tablePropsFromDefinition(props.definition),
    });
  }
}
