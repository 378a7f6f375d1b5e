import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { ENV } from '../core/config/env.js';
import type { PlatformConfig } from './config.js';
import { prometheusAlerts } from './constructs/alarm-table.js';
import {
  type AlertRules,
  ampAlertManagerDefinition,
  readAlertRules,
  rulesTextWith,
} from './constructs/monitoring-rules.js';
import { stagePolicy } from './defaults.js';

export interface AlertingStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** @default dashboards/rules/mlops-alerts.yml, read at synth */
  readonly rules?: AlertRules;
}

/** Output keys of this stack (the preflight reads the topic to check the email subscription). */
export const ALERTING_OUTPUTS = {
  topicArn: 'AlertTopicArn',
  remoteWriteUrl: 'PrometheusRemoteWriteUrl',
} as const;

/**
 * What alerts go through, with no dependency on the functions: the encrypted SNS topic (email from
 * context `alertEmail`) and, when the functions remote-write to Amazon Managed Prometheus
 * (`metricsRemoteWrite=amp`), the AMP workspace whose rule groups namespace holds the alerts routed
 * to it (lib/constructs/alarm-table.ts) and whose alert manager publishes to the topic. Separate
 * from the monitoring stack because the functions need the workspace (remote-write URL and grant)
 * while the alarms need the functions: one stack would be a cycle.
 */
export class AlertingStack extends Stack {
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  /** Present when `metricsRemoteWrite` is `amp`. */
  readonly workspace?: aps.CfnWorkspace;
  readonly rulesNamespace?: aps.CfnRuleGroupsNamespace;
  /** `<workspace endpoint>api/v1/remote_write`, what AMP_REMOTE_WRITE_URL is set to. */
  readonly remoteWriteUrl?: string;
  readonly rules: AlertRules;

  constructor(scope: Construct, id: string, props: AlertingStackProps) {
    super(scope, id, props);
    const { config } = props;
    const policy = stagePolicy(config.stage);
    this.rules = props.rules ?? readAlertRules();
    const prometheus = config.metricsRemoteWrite === 'amp';

    this.topicKey = new kms.Key(this, 'AlertTopicKey', {
      description: `Encrypts the mlops-${config.stage} alert topic`,
      enableKeyRotation: true,
      // CDK's default for a key is RETAIN in every stage: a leaked key (and $1/month) per teardown.
      removalPolicy: policy.removalPolicy,
      pendingWindow: Duration.days(7),
    });
    const publishers = ['cloudwatch.amazonaws.com', ...(prometheus ? ['aps.amazonaws.com'] : [])];
    for (const service of publishers) {
      this.topicKey.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
      );
    }
    this.topic = new sns.Topic(this, 'AlertTopic', {
      displayName: `MLOps ${config.stage} alerts`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    if (config.alertEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(config.alertEmail));
    new CfnOutput(this, ALERTING_OUTPUTS.topicArn, { value: this.topic.topicArn });

    if (!prometheus) return;
    const workspace = new aps.CfnWorkspace(this, 'PrometheusWorkspace', {
      alias: `mlops-${config.stage}`,
      alertManagerDefinition: ampAlertManagerDefinition(this.topic.topicArn, this.region),
    });
    workspace.applyRemovalPolicy(policy.removalPolicy);
    this.workspace = workspace;
    this.rulesNamespace = new aps.CfnRuleGroupsNamespace(this, 'AlertRules', {
      workspace: workspace.attrArn,
      name: 'mlops-alerts',
      data: rulesTextWith(this.rules.text, prometheusAlerts(true)),
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('aps.amazonaws.com')],
        actions: ['sns:Publish', 'sns:GetTopicAttributes'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnEquals: { 'aws:SourceArn': workspace.attrArn },
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      }),
    );
    this.remoteWriteUrl = `${workspace.attrPrometheusEndpoint}api/v1/remote_write`;
    new CfnOutput(this, ALERTING_OUTPUTS.remoteWriteUrl, { value: this.remoteWriteUrl });
  }

  /**
   * Lets a function remote-write to the workspace: sets AMP_REMOTE_WRITE_URL and grants
   * `aps:RemoteWrite` on this workspace only (the statement lives in the function's stack).
   */
  grantRemoteWrite(fn: lambda.Function): void {
    if (!this.workspace || !this.remoteWriteUrl) throw new Error('this alerting stack has no AMP workspace');
    fn.addEnvironment(ENV.ampRemoteWriteUrl, this.remoteWriteUrl);
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['aps:RemoteWrite'], resources: [this.workspace.attrArn] }),
    );
  }
}
