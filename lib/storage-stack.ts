import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ARTIFACT_BUCKET, TABLES, type TableDefinition } from '../core/config/tables.js';
import type { PlatformConfig } from './config.js';
import { DefinitionTable } from './constructs/definition-table.js';
import { publishShared, SHARED_KEYS } from './constructs/shared-parameter.js';
import { ABORT_INCOMPLETE_UPLOADS_AFTER, bucketDefaults, stagePolicy, tableDefaults } from './defaults.js';

export interface StorageStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** The web console's origin: allowed (alone) to PUT presigned dataset uploads from a browser. */
  readonly consoleOrigin?: string;
}

/** Output keys other tools (the `mlops` CLI, integration tests) read from this stack. */
export const STORAGE_OUTPUTS = {
  users: 'UsersTableName',
  registry: 'RegistryTableName',
  runs: 'RunsTableName',
  artifactBucket: 'ArtifactBucketName',
} as const;

/**
 * Stateful resources, deployed rarely and retained in prod: one DynamoDB table per shared
 * {@link TableDefinition} and the artifact bucket (models under `runs/`, uploaded data under
 * `datasets/`), with its server access log bucket.
 */
export class StorageStack extends Stack {
  readonly tables: Readonly<Record<TableDefinition['id'], DefinitionTable>>;
  readonly artifactBucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { config } = props;
    const policy = stagePolicy(config.stage);

    const tables = {} as Record<TableDefinition['id'], DefinitionTable>;
    for (const definition of TABLES) {
      const table = new DefinitionTable(this, `${pascal(definition.id)}Table`, {
        definition,
        tableProps: tableDefaults(policy),
      });
      tables[definition.id] = table;
      new CfnOutput(this, STORAGE_OUTPUTS[definition.id], {
        value: table.table.tableName,
        description: `DynamoDB table for ${definition.id} (env ${definition.envKey})`,
      });
    }
    this.tables = tables;

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      ...bucketDefaults(policy),
      // The log delivery service writes with the bucket policy CDK adds for serverAccessLogsBucket.
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });

    // Only run artifacts still tagged pending expire: a registered version's files are re-tagged
    // before its registry entry is written (core/artifacts/store.ts markRegistered), so a
    // production model that is never replaced keeps its files however old they are.
    const tag = ARTIFACT_BUCKET.lifecycleTag;
    const runsLifecycle: s3.LifecycleRule[] =
      config.artifactRetentionDays > 0
        ? [
            {
              id: 'expire-unregistered-run-artifacts',
              prefix: ARTIFACT_BUCKET.runPrefix,
              tagFilters: { [tag.key]: tag.pending },
              expiration: Duration.days(config.artifactRetentionDays),
            },
          ]
        : [];
    this.artifactBucket = new s3.Bucket(this, 'ArtifactBucket', {
      ...bucketDefaults(policy),
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'artifact-bucket/',
      lifecycleRules: [
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(config.noncurrentVersionDays),
          abortIncompleteMultipartUploadAfter: ABORT_INCOMPLETE_UPLOADS_AFTER,
          expiredObjectDeleteMarker: true,
        },
        ...runsLifecycle,
      ],
      ...(props.consoleOrigin
        ? {
            cors: [
              {
                allowedOrigins: [props.consoleOrigin],
                allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET],
                allowedHeaders: ['content-type'],
                exposedHeaders: ['ETag'],
                maxAge: 3000,
              },
            ],
          }
        : {}),
    });
    new CfnOutput(this, STORAGE_OUTPUTS.artifactBucket, {
      value: this.artifactBucket.bucketName,
      description: `Artifact bucket (${ARTIFACT_BUCKET.runPrefix}, ${ARTIFACT_BUCKET.datasetPrefix})`,
    });

    for (const [id, bound] of Object.entries(tables)) {
      publishShared(this, config.stage, SHARED_KEYS.table(id), bound.table.tableName, `${id} table name`);
    }
    publishShared(
      this,
      config.stage,
      SHARED_KEYS.artifactBucket,
      this.artifactBucket.bucketName,
      'artifact bucket name',
    );
  }
}

function pascal(id: string): string {
  return id.charAt(0).toUpperCase() + id.slice(1);
}
