import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecretsStack } from '../../lib/secrets-stack.js';
import { DEFAULT_CONTEXT, resourcesOf, testConfig } from './builders.js';

function buildSecrets(context: Record<string, unknown> = {}): Template {
  const app = new App({ context: { ...DEFAULT_CONTEXT, ...context } });
  return Template.fromStack(new SecretsStack(app, 'Secrets', { config: testConfig(context) }));
}

describe('SecretsStack', () => {
  let dev: Template;
  let prod: Template;
  beforeAll(() => {
    dev = buildSecrets();
    prod = buildSecrets({ stage: 'prod', alertEmail: 'ops@example.com' });
  });

  it('has Secrets Manager generate the JWT key as {"kid":"k1","key":<64 alphanumerics>}', () => {
    dev.resourceCountIs('AWS::SecretsManager::Secret', 1);
    dev.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{"kid":"k1"}',
        GenerateStringKey: 'key',
        PasswordLength: 64,
        ExcludePunctuation: true,
      },
    });
  });

  it('never puts a key in the template', () => {
    const secret = Object.values(resourcesOf(dev, 'AWS::SecretsManager::Secret'))[0];
    expect(secret.Properties.SecretString).toBeUndefined();
    expect(JSON.stringify(dev.toJSON())).not.toMatch(/"key"\s*:\s*"[A-Za-z0-9]{64}"/);
  });

  it('is retained in prod and deleted with a dev stack', () => {
    expect(Object.values(prod.findResources('AWS::SecretsManager::Secret'))[0]!['DeletionPolicy']).toBe(
      'Retain',
    );
    expect(Object.values(dev.findResources('AWS::SecretsManager::Secret'))[0]!['DeletionPolicy']).toBe(
      'Delete',
    );
  });

  it('outputs the ARN for the rotation procedure', () => {
    dev.hasOutput('JwtSecretArn', { Value: { Ref: Match.stringLikeRegexp('^JwtSigningKey') } });
  });
});
