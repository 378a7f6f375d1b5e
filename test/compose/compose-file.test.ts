import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import {
  COMPOSE_FILE,
  type ComposeService,
  imageNeedsToken,
  imageTag,
  interpolate,
  LOCALSTACK_SERVICE,
  localstackImage,
  readCompose,
} from '../../localstack/deploy/compose.js';
import { SCHEDULE_FILE, STATE_DIR } from '../../localstack/deploy/plan.js';

/**
 * docker-compose.yml cannot be started here (no Docker engine in CI), so its structure is checked
 * instead: everything `docker compose up` would trip over before a container even starts.
 */
const root = resolve(import.meta.dirname, '../..');
const compose = readCompose(root);
const services = Object.entries(compose.services);
/** `npm start` serves on this port; the mirror must be able to run beside it. */
const EMBEDDED_RUNTIME_PORT = 8000;
/** Bind mounts that are not part of the repository, by design (LocalStack starts Lambda containers). */
const HOST_PATHS_OUTSIDE_REPO = new Set(['/var/run/docker.sock']);
/** Services that keep data and so need a named volume. */
const STATEFUL = ['localstack', 'prometheus', 'alertmanager', 'grafana', 'mailpit'];

interface BindMount {
  readonly service: string;
  readonly source: string;
  readonly target: string;
}

function volumeEntries(service: ComposeService): { source: string; target: string }[] {
  return (service.volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':');
      return { source, target };
    }
    return { source: v.source ?? '', target: v.target ?? '' };
  });
}

const isBind = (source: string) => source.startsWith('.') || isAbsolute(source);

const bindMounts: BindMount[] = services.flatMap(([name, service]) =>
  volumeEntries(service)
    .filter((v) => isBind(v.source))
    .map((v) => ({ service: name, ...v })),
);

/** Host ports of `[ip:]host:container[/proto]` entries, ranges expanded. */
function hostPorts(service: ComposeService): number[] {
  return (service.ports ?? []).flatMap((entry) => {
    if (typeof entry !== 'string') return entry.published === undefined ? [] : [Number(entry.published)];
    const parts = entry.split('/')[0]!.split(':');
    if (parts.length < 2) return []; // container port only: Docker picks a free host port
    const host = parts[parts.length - 2]!;
    const [from, to = from] = host.split('-').map(Number);
    return Array.from({ length: to! - from! + 1 }, (_, i) => from! + i);
  });
}

describe('docker-compose.yml', () => {
  test('is valid YAML with services, named volumes and a network', () => {
    const document = parseDocument(readFileSync(join(root, COMPOSE_FILE), 'utf8'));
    expect(document.errors).toEqual([]);
    expect(services.map(([name]) => name).sort()).toEqual(
      ['alertmanager', 'grafana', 'localstack', 'mailpit', 'prometheus', 'scheduler'].sort(),
    );
    expect(Object.keys(compose.networks ?? {})).toEqual(['mlops']);
  });

  test.each(services)('%s: image has a pinned tag (never latest)', (_, service) => {
    const image = interpolate(service.image ?? '', {});
    expect(image).toMatch(/^[\w./-]+:[\w.-]+$/);
    expect(imageTag(image)).not.toMatch(/^(latest|stable|main|nightly)$/);
  });

  test.each(services)('%s: has a health check', (_, service) => {
    expect(service.healthcheck?.disable).not.toBe(true);
    expect(Array.isArray(service.healthcheck?.test) ? service.healthcheck?.test.length : 0).toBeGreaterThan(
      1,
    );
  });

  test('stateful services keep their data in declared named volumes, and every declared volume is used', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const used = services.flatMap(([, s]) =>
      volumeEntries(s)
        .filter((v) => !isBind(v.source))
        .map((v) => v.source),
    );
    expect([...new Set(used)].sort()).toEqual(declared.sort());
    for (const name of STATEFUL) {
      const named = volumeEntries(compose.services[name]!).filter((v) => !isBind(v.source));
      expect({ name, named: named.length }).toEqual({ name, named: 1 });
    }
  });

  test.each(bindMounts.map((m) => [`${m.service} ${m.source}`, m] as const))(
    'bind mount %s exists on the host',
    (_, mount) => {
      if (HOST_PATHS_OUTSIDE_REPO.has(mount.source)) return;
      expect(isAbsolute(mount.source)).toBe(false);
      expect({ source: mount.source, exists: existsSync(join(root, mount.source)) }).toEqual({
        source: mount.source,
        exists: true,
      });
    },
  );

  test('repository files are mounted read-only', () => {
    const writable = bindMounts
      .filter((m) => !HOST_PATHS_OUTSIDE_REPO.has(m.source))
      .filter((m) => {
        const raw = (compose.services[m.service]!.volumes ?? []).find(
          (v) => typeof v === 'string' && v.startsWith(`${m.source}:`),
        );
        return typeof raw !== 'string' || !raw.endsWith(':ro');
      });
    expect(writable).toEqual([]);
  });

  test('host ports are unique, bound to loopback, and leave npm start its port', () => {
    const all = services.flatMap(([name, s]) => hostPorts(s).map((port) => ({ name, port })));
    const seen = new Map<number, string>();
    const collisions = all.filter(({ name, port }) => {
      const other = seen.get(port);
      seen.set(port, name);
      return other !== undefined;
    });
    expect(collisions).toEqual([]);
    expect(all.map((p) => p.port)).not.toContain(EMBEDDED_RUNTIME_PORT);
    const published = services.flatMap(([, s]) => (s.ports ?? []).filter((p) => typeof p === 'string'));
    expect(published.filter((p) => !String(p).startsWith('127.0.0.1:'))).toEqual([]);
    // The edge port every deploy step talks to.
    expect(hostPorts(compose.services[LOCALSTACK_SERVICE]!)).toContain(4566);
  });

  test('depends_on names services that exist and have health checks', () => {
    for (const [name, service] of services) {
      const deps = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      for (const dep of deps) {
        expect({ name, dep, exists: compose.services[dep]?.healthcheck !== undefined }).toEqual({
          name,
          dep,
          exists: true,
        });
      }
    }
  });

  describe('localstack service', () => {
    const localstack = compose.services[LOCALSTACK_SERVICE]!;
    const environment = localstack.environment as Record<string, string>;

    test('passes LOCALSTACK_AUTH_TOKEN through from the environment', () => {
      const raw = environment['LOCALSTACK_AUTH_TOKEN']!;
      expect(interpolate(raw, { LOCALSTACK_AUTH_TOKEN: 'ls-abc' })).toBe('ls-abc');
      // Unset stays empty (not an error), so the frozen community image starts without one.
      expect(interpolate(raw, {})).toBe('');
    });

    test('defaults to a licensed, pinned release and can be switched to the frozen community build', () => {
      expect(localstackImage(compose, {})).toBe('localstack/localstack:2026.09.0');
      expect(imageNeedsToken(localstackImage(compose, {}))).toBe(true);
      const archive = localstackImage(compose, { LOCALSTACK_IMAGE: 'localstack/localstack:4.14.0' });
      expect(imageNeedsToken(archive)).toBe(false);
    });

    test('enables every AWS service the stacks and cdk bootstrap use', () => {
      const enabled = new Set(environment['SERVICES']!.split(','));
      const needed = [
        'lambda',
        'apigatewayv2',
        'dynamodb',
        's3',
        'scheduler',
        'cloudwatch',
        'logs',
        'sns',
        'sqs',
        'secretsmanager',
        'iam',
        'sts',
        'cloudformation',
        'ssm',
        'ecr',
      ];
      expect(needed.filter((s) => !enabled.has(s))).toEqual([]);
    });

    test('runs Lambda containers on the compose network', () => {
      expect(environment['LAMBDA_DOCKER_NETWORK']).toBe(
        (compose.networks?.['mlops'] as { name?: string } | undefined)?.name,
      );
    });
  });

  test('the scheduler reads the schedule file local:deploy writes, through a mounted directory', () => {
    const scheduler = compose.services['scheduler']!;
    const env = scheduler.environment as Record<string, string>;
    const stateMount = volumeEntries(scheduler).find((v) => v.source === `./${STATE_DIR}`);
    expect(stateMount).toBeDefined();
    expect(env['SCHEDULE_FILE']).toBe(SCHEDULE_FILE.replace(STATE_DIR, stateMount!.target));
    expect(env['LOCALSTACK_ENDPOINT']).toBe('http://localstack:4566');
  });
});
