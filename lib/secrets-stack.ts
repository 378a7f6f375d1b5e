import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { PlatformConfig } from './config.js';
import { stagePolicy } from './defaults.js';
import { acknowledge } from './nag.js';

export interface SecretsStackProps extends StackProps {
  readonly config: PlatformConfig;
}

/**
 * The JWT signing key. Secrets Manager generates it at deploy time, so the key never appears in
 * code, in the template or in `cdk.out`; the auth code reads `{ kid, key }` from AWSCURRENT and
 * keeps accepting tokens signed with AWSPREVIOUS after a rotation. Its own stack because its
 * lifecycle differs from both data (replacing it logs everybody out) and code.
 */
export class SecretsStack extends Stack {
  readonly jwtSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: SecretsStackProps) {
    super(scope, id, props);
    this.jwtSecret = new secretsmanager.Secret(this, 'JwtSigningKey', {
      description: `HS256 signing key for MLOps API tokens (${props.config.stage}); JSON {"kid","key"}`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ kid: 'k1' }),
        generateStringKey: 'key',
        passwordLength: 64,
        excludePunctuation: true,
      },
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
      'Rotation is a manual, documented procedure (docs/deploy.md "Rotate the JWT key"): a new {kid,key} is put as ' +
        'AWSCURRENT and verifiers accept AWSPREVIOUS until old tokens expire; a rotation Lambda would add code ' +
        'and permissions for a yearly operation.',
    );
  }
}
