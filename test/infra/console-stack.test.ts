import type { Template } from 'aws-cdk-lib/assertions';
import { buildPlatform, flatten, resourcesOf } from './builders.js';

/** The console's hosting: a private bucket behind CloudFront (OAC, HTTPS), its files and config, CORS for it alone. */
let site: Template;
let content: Template;
let storage: Template;

beforeAll(() => {
  const built = buildPlatform();
  site = built.templates.console!;
  content = built.templates.consoleContent!;
  storage = built.templates.storage;
});

describe('console hosting', () => {
  it('keeps the site bucket private, reachable only through CloudFront with origin access control', () => {
    const buckets = resourcesOf(site, 'AWS::S3::Bucket');
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    site.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    site.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' },
    });
    const [policy] = Object.values(resourcesOf(site, 'AWS::S3::BucketPolicy')).filter((p) =>
      JSON.stringify(p).includes('cloudfront.amazonaws.com'),
    );
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('AWS:SourceArn');
  });

  it('serves HTTPS only, index.html at the root, with a strict CSP and security headers', () => {
    const [distribution] = Object.values(resourcesOf(site, 'AWS::CloudFront::Distribution'));
    const config = distribution.Properties.DistributionConfig;
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(config.Logging).toBeDefined();
    const [headers] = Object.values(resourcesOf(site, 'AWS::CloudFront::ResponseHeadersPolicy'));
    const security = headers.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = flatten(security.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(security.ContentTypeOptions).toEqual({ Override: true });
    expect(security.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(security.StrictTransportSecurity.AccessControlMaxAgeSec).toBe(31_536_000);
  });

  it('uploads the built console with a config.json naming the API URL, and invalidates the entry points', () => {
    const [deployment] = Object.values(resourcesOf(content, 'Custom::CDKBucketDeployment'));
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(2);
    expect(deployment.Properties.Prune).toBe(true);
    expect(deployment.Properties.DistributionPaths).toEqual(['/index.html', '/config.json']);
    const markers = JSON.stringify(deployment.Properties.SourceMarkers);
    // The API URL (https://<api id>.execute-api.<region>.<suffix>/), filled in at deploy time.
    expect(markers).toMatch(/mlops-dev-api.*RefHttpApi/);
    expect(markers).toContain('AWS::URLSuffix');
  });

  it('is left out with console=false: no console stacks, no CORS on the bucket or the API', () => {
    const without = buildPlatform({ context: { console: false } });
    expect(without.platform.console).toBeUndefined();
    expect(without.platform.consoleContent).toBeUndefined();
    const buckets = Object.values(resourcesOf(without.templates.storage, 'AWS::S3::Bucket'));
    expect(buckets.filter((b) => b.Properties.CorsConfiguration)).toEqual([]);
    const [httpApi] = Object.values(resourcesOf(without.templates.api, 'AWS::ApiGatewayV2::Api'));
    expect(httpApi.Properties.CorsConfiguration).toBeUndefined();
  });

  it('lets only the console origin PUT (and GET) the artifact bucket from a browser', () => {
    const [bucket] = Object.values(resourcesOf(storage, 'AWS::S3::Bucket')).filter(
      (b) => b.Properties.CorsConfiguration,
    );
    const [rule] = bucket.Properties.CorsConfiguration.CorsRules;
    expect(rule.AllowedOrigins.map(flatten)).toEqual(['https://Distribution.DomainName']);
    expect(rule.AllowedMethods).toEqual(['PUT', 'GET']);
    expect(rule.AllowedHeaders).toEqual(['content-type']);
  });
});
