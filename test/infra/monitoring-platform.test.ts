import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lib/config.js';
import { functionIds } from '../../lib/constructs/bundling.js';
import { createMonitoring } from '../../lib/monitoring-stack.js';
import { createPlatform } from '../../lib/platform.js';
import { DEFAULT_CONTEXT, nagFindings, resourcesOf, statementsOf } from './builders.js';

/**
 * The monitoring stacks wired into the real platform, as bin/app.ts does it: the API stack's
 * functions get the remote-write grant and URL, and every stack stays cdk-nag clean. One synth
 * (the real API stack is slow to synthesize), shared by the tests.
 */
let built: ReturnType<typeof build>;

function build() {
  const app = new App({
    context: {
      ...DEFAULT_CONTEXT,
      stage: 'prod',
      alertEmail: 'oncall@example.com',
      'aws:cdk:bundling-stacks': [],
    },
  });
  const config = loadConfig(app);
  const platform = createPlatform(app, config);
  const monitoring = createMonitoring(app, config, platform);
  app.synth();
  return { platform, ...monitoring, api: Template.fromStack(platform.api) };
}

beforeAll(() => {
  built = build();
}, 180_000);

test('every deployed function remote-writes to the workspace, and to nothing else in AMP', () => {
  const constructIds = Object.keys(resourcesOf(built.api, 'AWS::Lambda::Function'))
    .map((id) => id.replace(/[0-9A-F]{8}$/, ''))
    .filter((id) => id.endsWith('Function'));
  expect(constructIds.length).toBe(functionIds().length);
  for (const id of constructIds) {
    const aps = statementsOf(built.api, id).filter((s) => s.actions.some((a) => a.startsWith('aps:')));
    expect(
      aps.map((s) => ({
        actions: s.actions,
        resources: s.resources.map((r) => r.includes('PrometheusWorkspace')),
      })),
    ).toEqual([{ actions: ['aps:RemoteWrite'], resources: [true] }]);
  }
}, 60_000);

test('cdk-nag: the API, alerting and monitoring stacks have no unacknowledged findings', () => {
  for (const stack of [built.platform.api, built.alerting, built.monitoring]) {
    expect({ stack: stack.stackName, ...nagFindings(stack) }).toEqual({
      stack: stack.stackName,
      errors: [],
      warnings: [],
    });
  }
}, 180_000);

test('another remote-write receiver (the LocalStack mirror) frees the API stack from the AMP stack', () => {
  const url = 'http://prometheus:9090/api/v1/write';
  const app = new App({
    context: { ...DEFAULT_CONTEXT, metricsRemoteWrite: url, 'aws:cdk:bundling-stacks': [] },
  });
  const config = loadConfig(app);
  const platform = createPlatform(app, config);
  const { alerting } = createMonitoring(app, config, platform);
  app.synth();
  expect(platform.api.dependencies).not.toContain(alerting);
  const api = Template.fromStack(platform.api);
  const envs = Object.values(resourcesOf(api, 'AWS::Lambda::Function')).map(
    (fn) =>
      (fn as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties.Environment
        ?.Variables ?? {},
  );
  const withUrl = envs.filter((vars) => 'AMP_REMOTE_WRITE_URL' in vars);
  expect(withUrl.length).toBe(functionIds().length);
  for (const vars of withUrl) expect(vars['AMP_REMOTE_WRITE_URL']).toBe(url);
  expect(JSON.stringify(api.toJSON())).not.toContain('aps:RemoteWrite');
}, 180_000);
