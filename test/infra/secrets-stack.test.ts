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

  it('holds an empty key set at deploy: no key is generated at deploy or written to the template', () => {
    dev.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const secret = Object.values(resourcesOf(dev, 'AWS::SecretsManager::Secret'))[0];
    expect(secret.Properties.SecretString).toBe('{"keys":[]}');
    expect(secret.Properties.GenerateSecretString).toBeUndefined();
    expect(JSON.stringify(dev.toJSON())).not.toMatch(/"d"\s*:/); // no private JWK member anywhere
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
