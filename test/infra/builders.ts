import { readFileSync } from 'node:fs';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig, type PlatformConfig } from '../../lib/config.js';
import { createPlatform, type Platform } from '../../lib/platform.js';

/**
 * Small builders for the infra tests. One fresh App per call; test files call them once in
 * `beforeAll` and share the templates, because every synth costs time.
 */

/**
 * cdk.json's context: the shipped defaults *and* the feature flags (e.g. weak cross-stack
 * references), so the tests synthesize what `cdk synth` does. codeVersion is pinned for stable
 * templates.
 */
export const DEFAULT_CONTEXT: Record<string, unknown> = {
  ...(JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: object })
    .context,
  codeVersion: 'test',
};

/** Validated config from DEFAULT_CONTEXT plus overrides (CLI-style strings are fine too). */
export function testConfig(overrides: Record<string, unknown> = {}): PlatformConfig {
  return loadConfig(contextSource({ ...DEFAULT_CONTEXT, ...overrides }));
}

export function contextSource(context: Record<string, unknown>) {
  return { node: { tryGetContext: (key: string) => context[key] } };
}

export interface BuiltPlatform {
  readonly app: App;
  readonly config: PlatformConfig;
  readonly platform: Platform;
  readonly templates: {
    storage: Template;
    secrets: Template;
    api: Template;
    schedule: Template;
    /** Absent with `console: false`. */
    console?: Template;
    consoleContent?: Template;
  };
}

export interface BuildOptions {
  /** Context overrides (stage, corsOrigins, ...). */
  readonly context?: Record<string, unknown>;
  /**
   * Stacks whose assets are really bundled with esbuild. Default none: the template is the same
   * and skipping esbuild keeps a synth well under a second.
   */
  readonly bundleStacks?: readonly string[];
  readonly outdir?: string;
}

/** Builds the whole app exactly as bin/app.ts does and synthesizes it once. */
export function buildPlatform(options: BuildOptions = {}): BuiltPlatform {
  const context = { ...DEFAULT_CONTEXT, ...options.context };
  const app = new App({
    context: { ...context, 'aws:cdk:bundling-stacks': [...(options.bundleStacks ?? [])] },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const config = loadConfig(app);
  const platform = createPlatform(app, config);
  app.synth();
  return {
    app,
    config,
    platform,
    templates: {
      storage: Template.fromStack(platform.storage),
      secrets: Template.fromStack(platform.secrets),
      api: Template.fromStack(platform.api),
      schedule: Template.fromStack(platform.schedule),
      ...(platform.console ? { console: Template.fromStack(platform.console) } : {}),
      ...(platform.consoleContent ? { consoleContent: Template.fromStack(platform.consoleContent) } : {}),
    },
  };
}

/** cdk-nag AWS Solutions findings for one stack, split by severity (after synth). */
export function nagFindings(stack: Stack): { errors: string[]; warnings: string[] } {
  const report = new AwsSolutionsChecks().validateScope(stack);
  const describe = (severity: string) =>
    report.violations
      .filter((v) => v.severity === severity)
      .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
  return { errors: describe('error'), warnings: describe('warning') };
}

/** A synthesized resource, loosely typed: tests read the properties they assert on. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped; assertions narrow it.
export type CfnJson = any;

/** The resources of a type, keyed by logical id. */
export function resourcesOf(template: Template, type: string, props?: object): Record<string, CfnJson> {
  return template.findResources(type, props ? { Properties: props } : undefined);
}

/** The logical id of the Lambda function a ProjectFunction created, e.g. `PredictFunction`. */
export function functionLogicalId(template: Template, constructId: string): string {
  const ids = Object.keys(resourcesOf(template, 'AWS::Lambda::Function')).filter((id) =>
    new RegExp(`^${constructId}[0-9A-F]{8}$`).test(id),
  );
  if (ids.length !== 1)
    throw new Error(`expected one function ${constructId}, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

export interface Statement {
  readonly effect: string;
  readonly actions: string[];
  /** Readable resources: `UsersTable.Arn`, `ArtifactBucket.Arn/runs/*`, `*`. */
  readonly resources: string[];
  readonly condition?: CfnJson;
}

/**
 * Every identity-policy statement attached to a function's execution role, with references
 * flattened to readable strings (cross-stack outputs become `<Resource>.<Attr>`).
 */
export function statementsOf(template: Template, constructId: string): Statement[] {
  const fn = resourcesOf(template, 'AWS::Lambda::Function')[functionLogicalId(template, constructId)];
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  const role = resourcesOf(template, 'AWS::IAM::Role')[roleId];
  // Everything must come through the DefaultPolicy we inspect: no managed or inline policies.
  if (role.Properties.ManagedPolicyArns || role.Properties.Policies) {
    throw new Error(`${roleId} has managed or inline policies`);
  }
  const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((policy) =>
    policy.Properties.Roles.some((ref: CfnJson) => ref.Ref === roleId),
  );
  return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement.map(readable));
}

export function readable(statement: CfnJson): Statement {
  const list = (value: unknown) => (Array.isArray(value) ? value : [value]);
  return {
    effect: statement.Effect,
    actions: list(statement.Action).map(String).sort(),
    resources: list(statement.Resource).map(flatten),
    ...(statement.Condition ? { condition: statement.Condition } : {}),
  };
}

/** `{Fn::GetStackOutput: {OutputName: 'PublishOutputFnGetAttUsersTable695FA693ArnD0A3C260'}}` → `UsersTable.Arn`. */
export function flatten(value: CfnJson): string {
  if (typeof value === 'string') return value;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(flatten).join(value['Fn::Join'][0]);
  if (value['Fn::GetAtt']) return `${stripHash(value['Fn::GetAtt'][0])}.${value['Fn::GetAtt'][1]}`;
  if (value.Ref) return stripHash(value.Ref);
  const output = value['Fn::GetStackOutput'] ?? value['Fn::ImportValue'];
  if (output) {
    const name: string = output.OutputName ?? JSON.stringify(output);
    const getAtt = /FnGetAtt([A-Za-z]+?)[0-9A-F]{8}([A-Za-z]+?)[0-9A-F]{8}$/.exec(name);
    if (getAtt) return `${getAtt[1]}.${getAtt[2]}`;
    const ref = /Ref([A-Za-z]+?)[0-9A-F]{8}[0-9A-F]{8}$/.exec(name);
    if (ref) return ref[1]!;
    return name;
  }
  return JSON.stringify(value);
}

function stripHash(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

/**
 * A role's permissions as `action → resources`, independent of how CDK merged statements.
 * Conditions are appended to the resource (`ArtifactBucket.Arn if {...}`).
 */
export function permissionsOf(statements: readonly Statement[]): Record<string, string[]> {
  const permissions: Record<string, Set<string>> = {};
  for (const statement of statements) {
    if (statement.effect !== 'Allow') continue;
    for (const action of statement.actions) {
      permissions[action] ??= new Set();
      for (const resource of statement.resources) {
        permissions[action].add(
          statement.condition ? `${resource} if ${JSON.stringify(statement.condition)}` : resource,
        );
      }
    }
  }
  return Object.fromEntries(
    Object.entries(permissions)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([action, resources]) => [action, [...resources].sort()]),
  );
}
