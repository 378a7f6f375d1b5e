import { CfnOutput, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { PlatformConfig } from './config.js';
import { stagePolicy } from './defaults.js';
import { acknowledge } from './nag.js';

export interface SecretsStackProps extends StackProps {
  readonly config: PlatformConfig;
}

/**
 * The JWT signing keys (RS256 private keys). CloudFormation creates the secret holding an empty key
 * set, `{"keys":[]}`: no key is generated at deploy, so none appears in the template, in
 * `cdk.out` or in a deploy-time Lambda. The auth function generates the first key pair on first
 * use and writes it with a conditional PutSecretValue (core/auth/key-store.ts), and is the only
 * function that can read the secret; the others verify with the public keys it publishes.
 *
 * Why not a custom resource generating the pair at deploy: a second function would then hold
 * the private key (and its logs and role could leak it), for the one-off saving of a first-use
 * write that the same code path already does locally (the 0600 key file).
 *
 * Its own stack because its lifecycle differs from both data (replacing it logs everybody out)
 * and code.
 */
export class SecretsStack extends Stack {
  readonly jwtSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: SecretsStackProps) {
    super(scope, id, props);
    this.jwtSecret = new secretsmanager.Secret(this, 'JwtSigningKey', {
      description: `RS256 signing keys for MLOps API tokens (${props.config.stage}); JSON {"keys":[...]}, written by the auth function`,
      // Not a secret: the empty key set the auth function fills on first use.
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ keys: [] })),
      removalPolicy: stagePolicy(props.config.stage).removalPolicy,
    });
    // The ARN only (not the value): for the rotation procedure in docs/deploy.md.
    new CfnOutput(this, 'JwtSecretArn', {
      value: this.jwtSecret.secretArn,
      description: 'JWT signing key secret',
    });
    acknowledge(
      this.jwtSecret,
      'AwsSolutions-SMG4',
      'Rotation is `mlops rotate-keys --stage <stage>` (docs/deploy.md "Rotate the signing key"): it adds a key ' +
        'that is published 10 minutes before it signs, and keeps retired keys published for the maximum token age; ' +
        'a Secrets Manager rotation Lambda would add code and permissions for the same operation.',
    );
  }
}
