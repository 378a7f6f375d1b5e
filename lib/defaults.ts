import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Stage } from './config.js';

/**
 * Secure defaults, in one place, so every table and bucket starts from the same baseline and a
 * stack only states what differs. Modelled on AWS Solutions Constructs' `*-defaults.ts`.
 */

/** What a stage keeps when its stack is deleted or a resource is replaced. */
export interface StagePolicy {
  /** prod keeps data (RETAIN); dev and staging are disposable. */
  readonly removalPolicy: RemovalPolicy;
  /** CloudFormation refuses to delete a protected table, even through `cdk destroy`. */
  readonly deletionProtection: boolean;
  /** Empty the bucket on stack deletion (custom resource); only where data is disposable. */
  readonly autoDeleteObjects: boolean;
}

/**
 * @example
 * stagePolicy('prod'); // { removalPolicy: RETAIN, deletionProtection: true, autoDeleteObjects: false }
 */
export function stagePolicy(stage: Stage): StagePolicy {
  if (stage === 'prod') {
    return { removalPolicy: RemovalPolicy.RETAIN, deletionProtection: true, autoDeleteObjects: false };
  }
  // staging is recreated from prod-like config, so it may go; dev even more so.
  return { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false, autoDeleteObjects: true };
}

/** DynamoDB: on-demand, AWS-owned encryption at rest, point-in-time recovery (35 days). */
export function tableDefaults(
  policy: StagePolicy,
): Pick<
  dynamodb.TablePropsV2,
  'billing' | 'encryption' | 'pointInTimeRecoverySpecification' | 'deletionProtection' | 'removalPolicy'
> {
  return {
    billing: dynamodb.Billing.onDemand(),
    encryption: dynamodb.TableEncryptionV2.dynamoOwnedKey(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: policy.deletionProtection,
    removalPolicy: policy.removalPolicy,
  };
}

/** S3: no public access, TLS only (1.2+), S3-managed encryption, bucket-owner-enforced ACLs. */
export function bucketDefaults(policy: StagePolicy): s3.BucketProps {
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    // SSE-S3 rather than KMS: the server access log target must be SSE-S3 anyway, and a KMS key
    // would add a per-request cost and a key policy to every grant without protecting more here.
    encryption: s3.BucketEncryption.S3_MANAGED,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: policy.removalPolicy,
    autoDeleteObjects: policy.autoDeleteObjects,
  };
}

/** Incomplete multipart uploads are never useful; drop them after a week. */
export const ABORT_INCOMPLETE_UPLOADS_AFTER = Duration.days(7);
