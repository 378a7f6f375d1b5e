import type { EnvKey } from './env.js';

/**
 * DynamoDB table designs, declared as plain data so that the CDK storage stack and the local
 * provisioner build exactly the same key schemas (see docs/data-model.md for the access patterns).
 */
export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableDefinition {
  readonly id: 'users' | 'registry' | 'runs';
  /** Environment variable that carries the physical table name to the functions. */
  readonly envKey: EnvKey;
  /** Name used by the local runtime (dynalite needs 3+ characters). CDK lets CloudFormation name tables. */
  readonly localName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalSecondaryIndexes: readonly IndexDefinition[];
  readonly timeToLiveAttribute?: string;
}

const pk: KeyAttribute = { name: 'pk', type: 'S' };
const sk: KeyAttribute = { name: 'sk', type: 'S' };

export const USERS_TABLE: TableDefinition = {
  id: 'users',
  envKey: 'usersTable',
  localName: 'mlops-users',
  partitionKey: pk,
  sortKey: sk,
  globalSecondaryIndexes: [],
  timeToLiveAttribute: 'expiresAt',
};

export const REGISTRY_TABLE: TableDefinition = {
  id: 'registry',
  envKey: 'registryTable',
  localName: 'mlops-registry',
  partitionKey: pk,
  sortKey: sk,
  globalSecondaryIndexes: [
    // Versions by the run that produced them: "which model version came from run X?"
    { indexName: 'byRun', partitionKey: { name: 'runId', type: 'S' } },
  ],
};

export const RUNS_TABLE: TableDefinition = {
  id: 'runs',
  envKey: 'runsTable',
  localName: 'mlops-runs',
  partitionKey: pk,
  sortKey: sk,
  globalSecondaryIndexes: [
    // Runs of an experiment, newest first (gsi1sk = start time + run id).
    {
      indexName: 'byExperiment',
      partitionKey: { name: 'gsi1pk', type: 'S' },
      sortKey: { name: 'gsi1sk', type: 'S' },
    },
    // Runs of an experiment ranked by their primary metric (best first with ScanIndexForward=false).
    {
      indexName: 'byMetric',
      partitionKey: { name: 'gsi2pk', type: 'S' },
      sortKey: { name: 'gsi2sk', type: 'N' },
    },
  ],
};

export const TABLES = [USERS_TABLE, REGISTRY_TABLE, RUNS_TABLE] as const;

export const ARTIFACT_BUCKET = {
  envKey: 'artifactBucket' as EnvKey,
  /** s3rver and S3 both want DNS-valid names. */
  localName: 'mlops-artifacts',
  /** Key layout: runs/<runId>/model.onnx, runs/<runId>/model-card.json, ... */
  runPrefix: 'runs/',
  datasetPrefix: 'datasets/',
  /**
   * Object tag the storage stack's lifecycle rule reads: run artifacts are written `pending` and
   * set to `registered` before a registry entry names them, so only the files of runs that never
   * became a model version can expire.
   */
  lifecycleTag: { key: 'mlops-lifecycle', pending: 'pending', registered: 'registered' },
  /** Public data of the auth function: auth/jwks.json, the token verification keys (no secrets). */
  authPrefix: 'auth/',
  jwksKey: 'auth/jwks.json',
} as const;
