import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ARTIFACT_BUCKET } from '../../core/config/tables.js';
import { StorageStack } from '../../lib/storage-stack.js';
import { DEFAULT_CONTEXT, testConfig } from './builders.js';

/** The storage stack alone (no functions, so no bundling), with cdk.json's feature flags. */
function buildStorage(context: Record<string, unknown> = {}): Template {
  const app = new App({ context: { ...DEFAULT_CONTEXT, ...context } });
  const stack = new StorageStack(app, 'Storage', { config: testConfig(context) });
  return Template.fromStack(stack);
}

describe('StorageStack', () => {
  let dev: Template;
  let prod: Template;
  beforeAll(() => {
    dev = buildStorage();
    prod = buildStorage({ stage: 'prod', alertEmail: 'ops@example.com', artifactRetentionDays: 90 });
  });

  describe('DynamoDB tables', () => {
    it('creates exactly the three tables', () => {
      dev.resourceCountIs('AWS::DynamoDB::GlobalTable', 3);
    });

    it('bills on demand, encrypts and keeps point-in-time recovery on every table', () => {
      const tables = dev.findResources('AWS::DynamoDB::GlobalTable');
      for (const table of Object.values(tables)) {
        expect(table['Properties']).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          SSESpecification: { SSEEnabled: false },
          Replicas: [
            expect.objectContaining({
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            }),
          ],
        });
      }
    });

    it('expires users on their TTL attribute', () => {
      dev.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    });

    it('dev tables may be destroyed and are not deletion-protected', () => {
      const tables = dev.findResources('AWS::DynamoDB::GlobalTable');
      for (const table of Object.values(tables)) {
        expect(table['DeletionPolicy']).toBe('Delete');
        expect(table['Properties']['Replicas'][0]['DeletionProtectionEnabled']).toBe(false);
      }
    });

    it('prod tables are retained and deletion-protected', () => {
      const tables = prod.findResources('AWS::DynamoDB::GlobalTable');
      for (const table of Object.values(tables)) {
        expect(table['DeletionPolicy']).toBe('Retain');
        expect(table['UpdateReplacePolicy']).toBe('Retain');
        expect(table['Properties']['Replicas'][0]['DeletionProtectionEnabled']).toBe(true);
      }
    });
  });

  describe('artifact bucket', () => {
    const artifactBucket = (template: Template) => {
      const buckets = template.findResources('AWS::S3::Bucket', {
        Properties: { VersioningConfiguration: { Status: 'Enabled' } },
      });
      expect(Object.keys(buckets)).toHaveLength(1);
      return Object.entries(buckets)[0]!;
    };

    it('is versioned, encrypted, private and logs access to the log bucket', () => {
      const [, bucket] = artifactBucket(dev);
      expect(bucket['Properties']).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: expect.stringMatching(/^AccessLogBucket/) },
          LogFilePrefix: 'artifact-bucket/',
        },
      });
    });

    it('denies non-TLS and TLS < 1.2 requests', () => {
      const [logicalId] = artifactBucket(dev);
      dev.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            }),
          ]),
        },
      });
    });

    it('expires noncurrent versions, and only unregistered run artifacts (tagged pending) after the configured days', () => {
      const [, bucket] = artifactBucket(prod);
      expect(bucket['Properties']['LifecycleConfiguration']['Rules']).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Id: 'expire-noncurrent-versions',
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            Status: 'Enabled',
          }),
          expect.objectContaining({
            Id: 'expire-unregistered-run-artifacts',
            Prefix: 'runs/',
            TagFilters: [
              { Key: ARTIFACT_BUCKET.lifecycleTag.key, Value: ARTIFACT_BUCKET.lifecycleTag.pending },
            ],
            ExpirationInDays: 90,
            Status: 'Enabled',
          }),
        ]),
      );
    });

    it("never expires a registered version's files: no current-version expiry without the pending tag", () => {
      for (const stack of [prod, buildStorage({})]) {
        const rules = artifactBucket(stack)[1]['Properties']['LifecycleConfiguration']['Rules'] as Record<
          string,
          unknown
        >[];
        for (const rule of rules.filter((r) => r['ExpirationInDays'] !== undefined || r['ExpirationDate'])) {
          expect(rule['TagFilters']).toEqual([
            { Key: ARTIFACT_BUCKET.lifecycleTag.key, Value: ARTIFACT_BUCKET.lifecycleTag.pending },
          ]);
        }
      }
      // The registration path sets the other value, which no rule matches.
      expect(ARTIFACT_BUCKET.lifecycleTag.registered).not.toBe(ARTIFACT_BUCKET.lifecycleTag.pending);
    });

    it('keeps runs/ forever when artifactRetentionDays is 0', () => {
      const [, bucket] = artifactBucket(buildStorage({ artifactRetentionDays: 0 }));
      const ids = bucket['Properties']['LifecycleConfiguration']['Rules'].map(
        (rule: { Id: string }) => rule.Id,
      );
      expect(ids).toEqual(['expire-noncurrent-versions']);
    });

    it('is retained in prod and emptied then deleted in dev', () => {
      expect(artifactBucket(prod)[1]['DeletionPolicy']).toBe('Retain');
      prod.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
      expect(artifactBucket(dev)[1]['DeletionPolicy']).toBe('Delete');
      dev.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    });
  });

  it('has a private, encrypted access log bucket that expires logs', () => {
    dev.resourceCountIs('AWS::S3::Bucket', 2);
    dev.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: Match.absent(),
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365 })] },
    });
  });

  it('outputs the table and bucket names', () => {
    const outputs = dev.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(
      ['ArtifactBucketName', 'RegistryTableName', 'RunsTableName', 'UsersTableName'].sort(),
    );
  });
});
