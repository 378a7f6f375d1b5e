import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  alertmanagerAlerts,
  cloudWatchAlarms,
  humanAge,
  productionModels,
  renderStatus,
} from '../../cli/commands/status.js';
import { registryService, runStore, trainingDeps } from '../../core/services/index.js';
import { trainAndRegister } from '../../core/training/service.js';
import { readAlertRules } from '../../lib/constructs/monitoring-rules.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';

let runtime: LocalRuntime;
let alertmanager: Server;
let alertmanagerUrl: string;

beforeAll(async () => {
  runtime = await startLocalRuntime({ ephemeral: true });
  await trainAndRegister({ dataset: 'builtin:iris', modelName: 'iris' }, trainingDeps());
  // A loopback stand-in for Alertmanager's v2 API (the real one is exercised by npm run monitor).
  alertmanager = createServer((req, res) => {
    expect(req.url).toBe('/api/v2/alerts?active=true&silenced=false&inhibited=false');
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify([
        {
          labels: { alertname: 'MlopsServerErrors', route: 'POST /predict', severity: 'page' },
          annotations: { summary: 'POST /predict answered with 5xx in the last 5 minutes' },
          startsAt: '2026-01-01T10:00:00.000Z',
        },
      ]),
    );
  });
  await new Promise<void>((resolve) => alertmanager.listen(0, '127.0.0.1', resolve));
  alertmanagerUrl = `http://127.0.0.1:${(alertmanager.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => alertmanager.close(resolve));
  await runtime.stop();
});

test('production models with age, accuracy, last retraining check and what the alert thresholds say', async () => {
  const { thresholds } = readAlertRules();
  const [fresh] = await productionModels(registryService(), runStore(), thresholds);
  expect(fresh).toMatchObject({ model: 'iris', version: 1, problems: [], lastCheckAt: expect.any(String) });
  expect(fresh!.accuracy).toBeGreaterThan(0.8);
  const later = Date.parse(fresh!.trainedAt) + 40 * 3600_000;
  const [stale] = await productionModels(
    registryService(),
    runStore(),
    { ...thresholds, production_accuracy: 0.999 },
    later,
  );
  expect(stale!.problems).toEqual(['no retraining check', 'low accuracy']);
  expect(humanAge(stale!.ageSeconds)).toBe('1d 16h');
  // A check on unchanged data (SKIPPED) counts as a retraining check: it is the last one now.
  const skipped = await trainAndRegister(
    { dataset: 'builtin:iris', modelName: 'iris', skipUnchanged: true },
    trainingDeps(),
  );
  expect(skipped.kind).toBe('skipped');
  const checkedAt = Date.parse(skipped.run.endedAt!);
  const [old] = await productionModels(registryService(), runStore(), thresholds, checkedAt + 3600_000);
  expect(old).toMatchObject({ version: 1, lastCheckAt: skipped.run.endedAt, problems: [] });
});

test('local alerts come from the Alertmanager API; an absent Alertmanager is said, not hidden', async () => {
  const alerts = await alertmanagerAlerts(alertmanagerUrl);
  expect(alerts.firing).toEqual([
    {
      name: 'MlopsServerErrors',
      since: '2026-01-01T10:00:00.000Z',
      summary: 'POST /predict answered with 5xx in the last 5 minutes',
      labels: { alertname: 'MlopsServerErrors', route: 'POST /predict', severity: 'page' },
    },
  ]);
  const down = await alertmanagerAlerts('http://127.0.0.1:9');
  expect(down.error).toContain('npm run monitor');
  const text = renderStatus('local', [], down);
  expect(text).toContain('no production model yet');
  expect(text).toContain('not reachable');
});

test('deployed alerts: CloudWatch alarms in ALARM under the stage prefix, all pages', async () => {
  // No CloudWatch emulator runs here, so the client is a recorder of the commands it is sent.
  const sent: DescribeAlarmsCommand['input'][] = [];
  const pages = [
    {
      MetricAlarms: [
        {
          AlarmName: 'mlops-prod-MlopsHighErrorRatio',
          StateUpdatedTimestamp: new Date('2026-01-01T10:00:00Z'),
          StateReason: 'Threshold Crossed: 5 datapoints were greater than the threshold (0.05).',
        },
      ],
      NextToken: 'page-2',
    },
    { MetricAlarms: [{ AlarmName: 'mlops-prod-MlopsServerErrors' }] },
  ];
  const client = {
    send: async (command: DescribeAlarmsCommand) => {
      sent.push(command.input);
      return pages[sent.length - 1]!;
    },
  };
  const alerts = await cloudWatchAlarms('prod', client as never);
  expect(sent.map((s) => [s.AlarmNamePrefix, s.StateValue, s.NextToken])).toEqual([
    ['mlops-prod-', 'ALARM', undefined],
    ['mlops-prod-', 'ALARM', 'page-2'],
  ]);
  expect(alerts.firing?.map((a) => a.name)).toEqual(['MlopsHighErrorRatio', 'MlopsServerErrors']);
  const text = renderStatus('prod', [], alerts);
  expect(text).toContain('alerts firing (CloudWatch alarms mlops-prod-*)');
  expect(text).toContain('MlopsHighErrorRatio  2026-01-01 10:00:00');
});
