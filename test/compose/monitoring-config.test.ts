import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { parse } from 'yaml';
import { type ComposeService, readCompose } from '../../localstack/deploy/compose.js';

/**
 * The Prometheus, Alertmanager and Grafana configuration the compose mirror mounts: accepted by
 * promtool/amtool, and pointing at rules and dashboards that exist in dashboards/.
 */
const root = resolve(import.meta.dirname, '../..');
const compose = readCompose(root);
const INSTALL = 'apt-get install -y prometheus prometheus-alertmanager';
const required = process.env['MLOPS_REQUIRE_PROMTOOL'] === '1';

const available = (tool: string) => spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;

/** Runs when the tool is installed; fails under MLOPS_REQUIRE_PROMTOOL=1; otherwise a visible skip. */
function withTool(tool: string) {
  if (available(tool)) return test;
  if (required) {
    return (name: string, _fn: () => unknown) =>
      test(name, () => {
        throw new Error(`${tool} is not installed and MLOPS_REQUIRE_PROMTOOL=1: ${INSTALL}`);
      });
  }
  console.warn(`[compose] ${tool} not found: its checks are SKIPPED. Install it with: ${INSTALL}`);
  // Reported as skipped (not passed) when the tool is absent.
  return test.skip;
}

/** Host path (relative to the repo) mounted at `containerPath` in `service`, following directory mounts. */
function hostPathOf(service: string, containerPath: string): string | undefined {
  const volumes = (compose.services[service] as ComposeService).volumes ?? [];
  for (const volume of volumes) {
    if (typeof volume !== 'string') continue;
    const [source = '', target = ''] = volume.split(':');
    if (!source.startsWith('.')) continue;
    if (containerPath === target) return source;
    if (containerPath.startsWith(`${target}/`)) return join(source, posix.relative(target, containerPath));
  }
  return undefined;
}

/** The container path of a file given as `--config.file=...` in a service's command. */
function configFlag(service: string): string {
  const command = (compose.services[service]?.['command'] ?? []) as string[];
  const flag = command.find((arg) => arg.startsWith('--config.file='));
  if (!flag) throw new Error(`${service} has no --config.file`);
  return flag.slice('--config.file='.length);
}

const run = (command: string, args: string[]) => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
};

describe('Prometheus (compose)', () => {
  const configPath = configFlag('prometheus');
  const hostConfig = hostPathOf('prometheus', configPath);
  const config = parse(readFileSync(join(root, hostConfig ?? 'missing'), 'utf8')) as {
    rule_files?: string[];
    scrape_configs?: { job_name: string }[];
    alerting?: { alertmanagers?: { static_configs?: { targets?: string[] }[] }[] };
  };

  test('its config file and every rule file it names are mounted from files that exist', () => {
    expect(hostConfig).toBe('./localstack/prometheus/prometheus.yml');
    expect(config.rule_files?.length).toBeGreaterThan(0);
    for (const ruleFile of config.rule_files ?? []) {
      const containerPath = posix.resolve(posix.dirname(configPath), ruleFile);
      const host = hostPathOf('prometheus', containerPath);
      expect({ ruleFile, host }).toEqual({
        ruleFile,
        host: expect.stringMatching(/^\.\/dashboards\/rules\//),
      });
      expect(existsSync(join(root, host!))).toBe(true);
    }
  });

  test('scrapes the same jobs as the non-Docker monitor, so rules and dashboards match both', () => {
    const monitor = parse(readFileSync(join(root, 'dashboards/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs?: { job_name: string }[];
    };
    const ours = new Set(config.scrape_configs?.map((s) => s.job_name));
    const missing = (monitor.scrape_configs ?? []).map((s) => s.job_name).filter((job) => !ours.has(job));
    expect(missing).toEqual([]);
  });

  test('accepts remote write, as the AMP workspace the functions push to does', () => {
    expect(compose.services['prometheus']?.['command']).toContain('--web.enable-remote-write-receiver');
  });

  test('sends alerts to the alertmanager service', () => {
    const targets = config.alerting?.alertmanagers?.flatMap((a) =>
      a.static_configs?.flatMap((s) => s.targets ?? []),
    );
    expect(targets).toEqual(['alertmanager:9093']);
  });

  withTool('promtool')(
    'promtool check config accepts it, rules included (laid out as in the container)',
    () => {
      // Recreate the container's layout so relative rule paths resolve exactly as they will there.
      const dir = mkdtempSync(join(tmpdir(), 'mlops-prom-'));
      try {
        const configFile = join(dir, posix.relative('/', configPath));
        mkdirSync(dirname(configFile), { recursive: true });
        copyFileSync(join(root, hostConfig!), configFile);
        for (const ruleFile of config.rule_files ?? []) {
          const containerPath = posix.resolve(posix.dirname(configPath), ruleFile);
          const target = join(dir, posix.relative('/', containerPath));
          mkdirSync(dirname(target), { recursive: true });
          copyFileSync(join(root, hostPathOf('prometheus', containerPath)!), target);
        }
        const result = run('promtool', ['check', 'config', configFile]);
        expect(result.output).toMatch(/SUCCESS/);
        expect(result.output).toMatch(/rules found/);
        expect({ status: result.status, output: result.output }).toEqual({
          status: 0,
          output: result.output,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('Alertmanager (compose)', () => {
  const hostConfig = hostPathOf('alertmanager', configFlag('alertmanager'));

  test('emails every alert to the mail catcher in the compose network', () => {
    expect(hostConfig).toBe('./localstack/alertmanager/alertmanager.yml');
    const config = parse(readFileSync(join(root, hostConfig!), 'utf8')) as {
      global?: { smtp_smarthost?: string };
      route: { receiver: string; routes?: { receiver: string }[] };
      receivers: { name: string; email_configs?: unknown[] }[];
    };
    expect(config.global?.smtp_smarthost).toBe('mailpit:1025');
    expect(compose.services['mailpit']).toBeDefined();
    const used = [config.route.receiver, ...(config.route.routes ?? []).map((r) => r.receiver)];
    for (const name of used) {
      expect(config.receivers.find((r) => r.name === name)?.email_configs?.length).toBeGreaterThan(0);
    }
  });

  withTool('amtool')('amtool check-config accepts it', () => {
    const result = run('amtool', ['check-config', join(root, hostConfig!)]);
    expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: result.output });
  });
});

describe('Grafana provisioning (compose)', () => {
  const provisioning = hostPathOf('grafana', '/etc/grafana/provisioning')!;
  const providers = readdirSync(join(root, provisioning, 'dashboards')).flatMap(
    (file) =>
      (
        parse(readFileSync(join(root, provisioning, 'dashboards', file), 'utf8')) as {
          providers: { name: string; options: { path: string } }[];
        }
      ).providers,
  );
  const datasources = readdirSync(join(root, provisioning, 'datasources')).flatMap(
    (file) =>
      (
        parse(readFileSync(join(root, provisioning, 'datasources', file), 'utf8')) as {
          datasources: { uid: string; type: string; url: string }[];
        }
      ).datasources,
  );

  test('every dashboard provider points at a mounted directory with the dashboards/grafana files', () => {
    expect(providers.length).toBeGreaterThan(0);
    for (const provider of providers) {
      const host = hostPathOf('grafana', provider.options.path);
      expect({ provider: provider.name, host }).toEqual({
        provider: provider.name,
        host: './dashboards/grafana',
      });
      const files = readdirSync(join(root, host!)).filter((f) => f.endsWith('.json'));
      expect(files).toEqual(expect.arrayContaining(['mlops-api.json', 'mlops-model.json']));
    }
  });

  test('data sources point at compose services', () => {
    for (const source of datasources) {
      const host = new URL(source.url).hostname;
      expect({ uid: source.uid, service: compose.services[host] ? host : undefined }).toEqual({
        uid: source.uid,
        service: host,
      });
    }
    expect(datasources.filter((d) => d.type === 'prometheus')).toHaveLength(1);
  });

  test('every data source a dashboard refers to is provisioned or one of its own variables', () => {
    const dir = join(root, 'dashboards/grafana');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        uid?: string;
        title?: string;
        templating?: { list?: { name: string; type: string; query?: unknown }[] };
      };
      expect({ file, uid: typeof dashboard.uid, title: typeof dashboard.title }).toEqual({
        file,
        uid: 'string',
        title: 'string',
      });
      const variables = (dashboard.templating?.list ?? []).filter((v) => v.type === 'datasource');
      // A datasource variable picks a source of its type; one must be provisioned.
      for (const variable of variables) {
        expect(datasources.map((d) => d.type)).toContain(variable.query);
      }
      const refs = new Set<string>();
      JSON.stringify(dashboard, (key, value) => {
        if (key === 'datasource' && value && typeof value === 'object' && typeof value.uid === 'string') {
          refs.add(value.uid);
        }
        return value;
      });
      const names = new Set(variables.map((v) => v.name));
      const unresolved = [...refs].filter((uid) => {
        const variable = /^\$\{?([\w]+)\}?$/.exec(uid)?.[1];
        if (variable) return !names.has(variable);
        return !datasources.some((d) => d.uid === uid) && uid !== 'grafana' && uid !== '-- Grafana --';
      });
      expect({ file, unresolved }).toEqual({ file, unresolved: [] });
    }
  });
});
