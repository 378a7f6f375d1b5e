import { TABLES } from '../../core/config/tables.js';
import { createTableInput } from '../../local/provision.js';

describe('local provisioning follows the shared table definitions', () => {
  test.each(TABLES.map((t) => [t.id, t] as const))('%s', (_id, table) => {
    const input = createTableInput(table, table.localName);
    expect(input.KeySchema).toEqual([
      { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
      ...(table.sortKey ? [{ AttributeName: table.sortKey.name, KeyType: 'RANGE' }] : []),
    ]);
    expect((input.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName)).toEqual(
      table.globalSecondaryIndexes.map((i) => i.indexName),
    );
    // Every key attribute is declared exactly once, with its type.
    const declared = new Map(input.AttributeDefinitions!.map((a) => [a.AttributeName, a.AttributeType]));
    for (const key of [
      table.partitionKey,
      table.sortKey,
      ...table.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
    ]) {
      if (key) expect(declared.get(key.name)).toBe(key.type);
    }
    expect(declared.size).toBe(input.AttributeDefinitions!.length);
    expect(table.localName.length).toBeGreaterThanOrEqual(3);
  });
});
