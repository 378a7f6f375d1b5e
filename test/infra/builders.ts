import { readFileSync } from 'node:fs';
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { loadConfig, type PlatformConfig } from '../../lib/config.js';
import { createApp } from '../../lib/platform.js';

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

export type BuiltStacks = ReturnType<typeof createApp>;

export interface BuiltPlatform {
  readonly app: App;
  readonly config: PlatformConfig;
  /** All six stacks, as `cdk deploy --all` creates them. */
  readonly platform: BuiltStacks;
  readonly templates: Record<keyof BuiltStacks, Template>;
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

/** Builds the whole app exactly as bin/app.ts does (all six stacks) and synthesizes it once. */
export function buildPlatform(options: BuildOptions = {}): BuiltPlatform {
  const context = { ...DEFAULT_CONTEXT, ...options.context };
  const app = new App({
    context: { ...context, 'aws:cdk:bundling-stacks': [...(options.bundleStacks ?? [])] },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const config = loadConfig(app);
  const platform = createApp(app, config);
  app.synth();
  const templates = Object.fromEntries(
    Object.entries(platform).map(([key, stack]) => [key, Template.fromStack(stack)]),
  ) as Record<keyof BuiltStacks, Template>;
  return { app, config, platform, templates };
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

/**
 * Every cdk-nag acknowledgment under `scope` that suppressed no finding (as `<construct path>
 * <rule id>`), found by running the AWS Solutions pack with its acknowledgment lookup observed:
 * an acknowledgment is used when a resource's finding is matched by it (the nearest one upwards).
 */
export function unusedAcknowledgements(scope: IConstruct): string[] {
  const key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;
  const idsOf = (construct: IConstruct) =>
    construct.node.metadata
      .filter((entry) => entry.type === key && entry.data)
      .flatMap((entry) => Object.keys(entry.data as object).map((k) => k.replace(/^annotation::/i, '')));
  const used = new Set<string>();
  const pack = new AwsSolutionsChecks();
  (pack as unknown as { isAcknowledged: (resource: IConstruct, ruleId: string) => boolean }).isAcknowledged =
    (resource, ruleId) => {
      for (let current: IConstruct | undefined = resource; current; current = current.node.scope) {
        if (idsOf(current).includes(ruleId)) {
          used.add(`${current.node.path} ${ruleId}`);
          return true;
        }
      }
      return false;
    };
  pack.validateScope(scope);
  const all = scope.node.findAll().flatMap((c) => idsOf(c).map((id) => `${c.node.path} ${id}`));
  return [...new Set(all)].filter((ack) => !used.has(ack)).sort();
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
  if (value.Ref) return ssmParameter(value.Ref) ?? stripHash(value.Ref);
  const output = value['Fn::GetStackOutput'] ?? value['Fn::ImportValue'];
  if (output) {
    const name: string = output.OutputName ?? JSON.stringify(output);
    const getAtt = /FnGetAtt([A-Za-z]+?)[0-9A-F]{8}([A-Za-z]+?)[0-9A-F]{8}$/.exec(name);
    if (getAtt) return `${getAtt[1]}.${getAtt[2]}`;
    // An L1 resource's logical id has no hash: `PublishOutputFnGetAttPrometheusWorkspaceArnCA1E6E75`.
    const l1 = /FnGetAtt([A-Za-z]+?)(Arn)[0-9A-F]{8}$/.exec(name);
    if (l1) return `${l1[1]}.${l1[2]}`;
    const ref = /Ref([A-Za-z]+?)[0-9A-F]{8}[0-9A-F]{8}$/.exec(name);
    if (ref) return ref[1]!;
    return name;
  }
  return JSON.stringify(value);
}

/**
 * A deploy-time SSM parameter (lib/constructs/shared-parameter.ts) as `ssm:<key>`: CDK names it
 * `SsmParameterValue<name without slashes><hash>Parameter`, e.g. `ssm:mlopsdevtablesusers`.
 */
function ssmParameter(logicalId: string): string | undefined {
  const match = /^SsmParameterValue(.+?)[0-9A-F]{32}Parameter$/.exec(logicalId);
  return match ? `ssm:${match[1]}` : undefined;
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
