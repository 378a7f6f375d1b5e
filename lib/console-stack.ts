import {
  CfnOutput,
  DefaultStackSynthesizer,
  Duration,
  type RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { ensureConsoleBuilt } from '../console/build.js';
import type { PlatformConfig } from './config.js';
import { bucketDefaults, stagePolicy } from './defaults.js';
import { acknowledge, acknowledgeResourceWildcards } from './nag.js';

/**
 * The web console as a static site: a private S3 bucket behind CloudFront (origin access
 * control, HTTPS only, security headers with a strict CSP). Two stacks, because the console's
 * origin and the API's URL each configure the other: this one comes first and gives its origin to
 * the storage stack (bucket CORS for presigned uploads) and the API stack (HTTP API CORS);
 * {@link ConsoleContentStack} comes after the API and uploads the built files with a
 * `config.json` naming the API's URL.
 */
export interface ConsoleStackProps extends StackProps {
  readonly config: PlatformConfig;
}

export const CONSOLE_OUTPUTS = { consoleUrl: 'ConsoleUrl' } as const;

export class ConsoleStack extends Stack {
  readonly siteBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** `https://<id>.cloudfront.net`: the only origin the API and the artifact bucket accept from browsers. */
  readonly origin: string;

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);
    const policy = stagePolicy(props.config.stage);

    // CloudFront's standard logs are written with ACLs, so this bucket (alone) keeps them enabled.
    const logBucket = new s3.Bucket(this, 'LogBucket', {
      ...bucketDefaults(policy),
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(365) }],
    });

    this.siteBucket = new s3.Bucket(this, 'SiteBucket', {
      ...bucketDefaults(policy),
      serverAccessLogsBucket: logBucket,
      serverAccessLogsPrefix: 'site-bucket/',
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Console: strict CSP (no inline script), HSTS, nosniff, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleCsp(this.region), override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `MLOps console (${props.config.stage})`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket,
      logFilePrefix: 'cloudfront/',
    });
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'The default *.cloudfront.net certificate cannot pin a minimum TLS version; a custom domain with an ACM ' +
        'certificate (and TLSv1.2_2021) is the way to raise it.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'The console is static files; who may use it is decided by the API (bearer tokens), not by geography.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR2',
      'Static files only, GET/HEAD; the API it calls is throttled at API Gateway. A WAF web ACL is an opt-in cost.',
    );

    this.origin = `https://${this.distribution.distributionDomainName}`;
    new CfnOutput(this, CONSOLE_OUTPUTS.consoleUrl, {
      value: `${this.origin}/`,
      description: 'The web console',
    });
  }
}

/**
 * Scripts and styles from the console only; fetches to the API (API Gateway) and to S3 (presigned
 * uploads, artifacts over 4 MB) in this region; blob: images are artifacts fetched with the token.
 */
export function consoleCsp(region: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    `connect-src 'self' https://*.execute-api.${region}.amazonaws.com https://*.s3.${region}.amazonaws.com https://*.s3.amazonaws.com`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface ConsoleContentStackProps extends StackProps {
  readonly site: ConsoleStack;
  readonly logRetentionDays: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** The HTTP API's base URL, written into config.json for the app. */
  readonly apiUrl: string;
}

/** The built console (console/build.ts) and its config.json, uploaded to the site bucket. */
export class ConsoleContentStack extends Stack {
  constructor(scope: Construct, id: string, props: ConsoleContentStackProps) {
    super(scope, id, props);
    const build = ensureConsoleBuilt();
    const deployment = new s3deploy.BucketDeployment(this, 'Files', {
      destinationBucket: props.site.siteBucket,
      sources: [
        s3deploy.Source.asset(build.dir),
        s3deploy.Source.jsonData('config.json', { apiUrl: props.apiUrl }),
      ],
      distribution: props.site.distribution,
      distributionPaths: ['/index.html', '/config.json'],
      prune: true,
      memoryLimit: 256,
      // Its own log group, so the stage's removal policy applies (CDK's default one is retained).
      logGroup: new logs.LogGroup(this, 'DeploymentLogs', {
        retention: props.logRetentionDays,
        removalPolicy: props.removalPolicy,
      }),
    });
    // The deployment's function is a CDK-managed singleton at stack level, beside its role.
    acknowledge(
      deployment.handlerRole,
      'AwsSolutions-IAM4',
      "CDK's BucketDeployment function uses AWSLambdaBasicExecutionRole for its own logs.",
      ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
    );
    const handler = this.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (handler)
      acknowledge(
        handler,
        'AwsSolutions-L1',
        "The runtime of CDK's BucketDeployment function is CDK's choice.",
      );
    const copies =
      'BucketDeployment copies from the CDK asset bucket into the site bucket and prunes what the build no ' +
      'longer has, so it holds object actions on those two buckets (and invalidates its distribution).';
    acknowledge(deployment.handlerRole, 'AwsSolutions-IAM5', copies, [
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
      // cloudfront:CreateInvalidation / GetInvalidation have no resource-level form in CDK's grant.
      'Resource::*',
    ]);
    const assets = `arn:${this.partition}:s3:::cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-${this.account}-${this.region}/*`;
    acknowledgeResourceWildcards(
      deployment.handlerRole,
      [props.site.siteBucket.arnForObjects('*'), assets],
      copies,
    );
  }
}
