import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { OPERATOR } from '../../core/auth/service.js';
import { ENV, optionalEnv } from '../../core/config/env.js';
import { authService, keyRing } from '../../core/services/auth.js';
import { resetServices } from '../../core/services/lazy.js';
import { str } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';

export const revokeTokens: Command = {
  name: 'revoke-tokens',
  summary: 'Revoke every token issued to a user so far (the admin routes refuse them at once)',
  usage: 'revoke-tokens --username <name>',
  options: { username: { type: 'string', help: 'whose tokens to revoke' } },
  async run({ values, json }) {
    const username = str(values['username']);
    if (!username) throw new UsageError(`missing --username; usage: mlops ${this.usage}`);
    const { tokenVersion } = await authService().revokeTokens(username, OPERATOR);
    if (json) process.stdout.write(`${JSON.stringify({ username, token_version: tokenVersion })}\n`);
    else process.stdout.write(`revoked the tokens of "${username}" (token version now ${tokenVersion})\n`);
  },
};

export const rotateKeys: Command = {
  name: 'rotate-keys',
  summary:
    'Add a new token signing key (published now, signing in 10 minutes); old keys verify until their tokens expire',
  usage: 'rotate-keys [--immediate] [--drop-previous]',
  options: {
    immediate: {
      type: 'boolean',
      help: 'sign with the new key at once (verifiers reload on the unknown kid)',
    },
    'drop-previous': {
      type: 'boolean',
      help: 'remove every older key: all tokens signed so far stop verifying (a leaked key)',
    },
  },
  async run({ values, json }) {
    const stage = optionalEnv('stage') ?? 'local';
    if (stage !== 'local' && !optionalEnv('jwtSecretArn')) {
      process.env[ENV.jwtSecretArn] = await secretArn(stage);
      resetServices();
    }
    const doc = await keyRing().rotate({
      immediate: values['immediate'] === true,
      dropPrevious: values['drop-previous'] === true,
    });
    const fresh = doc.keys[0]!;
    const when = new Date(fresh.activatesAt).toISOString();
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ kid: fresh.kid, signs_from: when, keys: doc.keys.map((k) => k.kid) })}\n`,
      );
    } else {
      process.stdout.write(
        `new signing key ${fresh.kid}, signing from ${when}; ${doc.keys.length} key(s) published\n`,
      );
    }
  },
};

/** The signing-key secret of a deployed stage, from its secrets stack's outputs. */
async function secretArn(stage: string): Promise<string> {
  const { stackNames } = await import('../../lib/platform.js');
  const stackName = stackNames(stage as never).secrets;
  const client = new CloudFormationClient({});
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const arn = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'JwtSecretArn')?.OutputValue;
    if (!arn) throw new Error(`stack ${stackName} has no output JwtSecretArn`);
    return arn;
  } finally {
    client.destroy();
  }
}
