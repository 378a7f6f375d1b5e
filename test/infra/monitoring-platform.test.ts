import { functionIds } from '../../lib/constructs/bundling.js';
import { type BuiltPlatform, buildPlatform, resourcesOf, statementsOf } from './builders.js';

/**
 * The monitoring stacks wired into the real platform, as bin/app.ts does it (lib/platform.ts
 * createApp): the API stack's functions get the remote-write grant and URL, and the monitoring
 * stack watches both dead-letter queues. One synth per variant, shared by the tests.
 */
let built: BuiltPlatform;

beforeAll(() => {
  built = buildPlatform({ context: { stage: 'prod', alertEmail: 'oncall@example.com' } });
}, 180_000);

test('every deployed function remote-writes to the workspace, and to nothing else in AMP', () => {
  const api = built.templates.api;
  const constructIds = Object.keys(resourcesOf(api, 'AWS::Lambda::Function'))
    .map((id) => id.replace(/[0-9A-F]{8}$/, ''))
    .filter((id) => id.endsWith('Function'));
  expect(constructIds.length).toBe(functionIds().length);
  for (const id of constructIds) {
    const aps = statementsOf(api, id).filter((s) => s.actions.some((a) => a.startsWith('aps:')));
    expect(aps.map((s) => ({ actions: s.actions, resources: s.resources }))).toEqual([
      { actions: ['aps:RemoteWrite'], resources: ['PrometheusWorkspace.Arn'] },
    ]);
  }
});

test('a failed training lands in a queue that alarms: both dead-letter queues have an alarm', () => {
  const alarms = Object.values(resourcesOf(built.templates.monitoring, 'AWS::CloudWatch::Alarm')).map(
    (a) => a.Properties,
  );
  const dlq = alarms.filter((a) => String(a.AlarmName).startsWith('mlops-prod-MlopsDeadLetters-'));
  expect(dlq.map((a) => a.AlarmName).sort()).toEqual([
    'mlops-prod-MlopsDeadLetters-schedule-delivery',
    'mlops-prod-MlopsDeadLetters-training-failures',
  ]);
  const queues = dlq.map((a) => JSON.stringify(a.Dimensions));
  expect(queues.some((q) => q.includes('TrainingFailureQueue'))).toBe(true);
  expect(queues.some((q) => q.includes('TrainingDeadLetterQueue'))).toBe(true);
});

test('another remote-write receiver (the LocalStack mirror) frees the API stack from the alerting stack', () => {
  const url = 'http://prometheus:9090/api/v1/write';
  const mirror = buildPlatform({ context: { metricsRemoteWrite: url } });
  expect(mirror.platform.api.dependencies).not.toContain(mirror.platform.alerting);
  mirror.templates.alerting.resourceCountIs('AWS::APS::Workspace', 0);
  const envs = Object.values(resourcesOf(mirror.templates.api, 'AWS::Lambda::Function')).map(
    (fn) => fn.Properties.Environment?.Variables ?? {},
  );
  const withUrl = envs.filter((vars) => 'AMP_REMOTE_WRITE_URL' in vars);
  expect(withUrl.length).toBe(functionIds().length);
  for (const vars of withUrl) expect(vars['AMP_REMOTE_WRITE_URL']).toBe(url);
  expect(JSON.stringify(mirror.templates.api.toJSON())).not.toContain('aps:RemoteWrite');
}, 180_000);
