import { registryService } from '../../core/services/index.js';
import { integer, keyValues, list, positional, str } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { decisionLines, metricLines } from '../evaluation.js';
import { printJson, shortTime, table } from '../format.js';

const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

const aliasList = (aliases: Readonly<Record<string, number>>) =>
  Object.entries(aliases)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([alias, v]) => `${alias}=v${v}`)
    .join(' ');

export const models: Command = {
  name: 'models',
  summary: 'Registered models and their aliases',
  usage: 'models',
  async run({ json }) {
    const all = await registryService().listModels();
    if (json) return printJson({ models: all });
    if (all.length === 0) {
      process.stdout.write('no models registered yet (mlops train)\n');
      return;
    }
    process.stdout.write(
      `${table(
        ['model', 'versions', 'aliases', 'updated', 'description'],
        all.map((m) => [
          m.name,
          m.latestVersion,
          aliasList(m.aliases),
          shortTime(m.updatedAt),
          m.description,
        ]),
      )}\n`,
    );
  },
};

export const versions: Command = {
  name: 'versions',
  summary: 'Versions of a model, newest first, with aliases, lineage and promotion decisions',
  usage: 'versions <model> [--limit N] [--version N]',
  options: {
    limit: { type: 'string', help: 'how many (default 20)' },
    version: { type: 'string', help: 'one version in full: metrics, evaluation, decision record' },
  },
  async run({ values, positionals, json }) {
    const name = positional({ positionals }, 0, 'model', this.usage);
    const limit = integer(str(values['limit']), '--limit', { min: 1, max: 1000 }) ?? 20;
    const one = integer(str(values['version']), '--version', { min: 1 });
    const model = await registryService().requireModel(name);
    if (one !== undefined) {
      const v = await registryService().getVersion(name, one);
      if (json) return printJson({ model, version: v });
      const aliases = Object.entries(model.aliases)
        .filter(([, n]) => n === one)
        .map(([a]) => a);
      process.stdout.write(
        `${[
          `version    ${name} v${one}${aliases.length ? ` (${aliases.join(', ')})` : ''}, run ${v.runId}`,
          `algorithm  ${v.algorithm} ${Object.entries(v.params)
            .map(([k, p]) => `${k}=${p}`)
            .join(' ')}`,
          ...metricLines(v.metrics, v.evaluation),
          ...decisionLines(v.decision),
          `schema     features ${JSON.stringify(v.featureNames)}; classes ${JSON.stringify(v.classes)}`,
          `dataset    ${v.dataset.source}@${v.dataset.fingerprint.slice(0, 12)} (${v.dataset.rows} rows)`,
        ].join('\n')}\n`,
      );
      return;
    }
    const [list, incomplete] = await Promise.all([
      registryService().listVersions(name, limit),
      registryService().store.incompleteVersions(model),
    ]);
    if (json) return printJson({ model, versions: list, incomplete });
    const aliasesOf = (v: number) =>
      Object.entries(model.aliases)
        .filter(([, n]) => n === v)
        .map(([a]) => a)
        .sort()
        .join(',');
    process.stdout.write(
      `${table(
        ['version', 'aliases', 'algorithm', 'test acc', 'macro_f1', 'decision', 'run', 'dataset', 'created'],
        list.map((v) => [
          v.version,
          aliasesOf(v.version) || undefined,
          v.algorithm,
          v.metrics['accuracy'],
          v.metrics['macro_f1'],
          v.decision && `${v.decision.alias}: ${clip(v.decision.reason, 60)}`,
          v.runId,
          `${v.dataset.source}@${v.dataset.fingerprint.slice(0, 8)}`,
          shortTime(v.createdAt),
        ]),
      )}\n`,
    );
    for (const entry of incomplete) {
      process.stdout.write(`v${entry.version} has no record: ${entry.status}, ${entry.reason}\n`);
    }
    if (incomplete.some((e) => e.status === 'failed' || e.status === 'abandoned')) {
      process.stdout.write('(mlops cleanup retires them)\n');
    }
  },
};

const versionArg = (positionals: readonly string[], index: number, usage: string) =>
  integer(positional({ positionals }, index, 'version', usage), '<version>', { min: 1 })!;

const FORCE = {
  type: 'boolean',
  help: "allowed to make production a version whose features or classes differ from production's",
} as const;

/** A forced schema change goes to stderr, whatever the output format. */
const warn = (warnings: readonly string[]) => {
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
};

export const promote: Command = {
  name: 'promote',
  summary: 'Make a version production (the previous one is kept for rollback)',
  usage: 'promote <model> <version> [--force]',
  options: { force: FORCE },
  async run({ values, positionals, json }) {
    const name = positional({ positionals }, 0, 'model', this.usage);
    const version = versionArg(positionals, 1, this.usage);
    const { model, warnings } = await registryService().promote(name, version, {
      force: values['force'] === true,
    });
    warn(warnings);
    if (json) return printJson({ model, warnings });
    process.stdout.write(`${name}: production → v${version} (aliases: ${aliasList(model.aliases)})\n`);
  },
};

export const rollback: Command = {
  name: 'rollback',
  summary: 'Point production back at the previous production version',
  usage: 'rollback <model>',
  async run({ positionals, json }) {
    const name = positional({ positionals }, 0, 'model', this.usage);
    const model = await registryService().rollback(name);
    if (json) return printJson({ model });
    process.stdout.write(`${name}: production → v${model.aliases['production']} (rolled back)\n`);
  },
};

export const alias: Command = {
  name: 'alias',
  summary: 'Point an alias (challenger, any user alias, or a stage name) at a version, or remove it',
  usage: 'alias <model> <alias> <version> [--force] | alias <model> <alias> --remove',
  options: { remove: { type: 'boolean', help: 'remove the alias' }, force: FORCE },
  async run({ values, positionals, json }) {
    const name = positional({ positionals }, 0, 'model', this.usage);
    const aliasName = positional({ positionals }, 1, 'alias', this.usage);
    const { model, warnings } = values['remove']
      ? { model: await registryService().removeAlias(name, aliasName), warnings: [] }
      : await registryService().setAlias(name, aliasName, versionArg(positionals, 2, this.usage), {
          force: values['force'] === true,
        });
    warn(warnings);
    if (json) return printJson({ model, warnings });
    process.stdout.write(`${name}: ${aliasList(model.aliases)}\n`);
  },
};

export const tag: Command = {
  name: 'tag',
  summary: 'Set tags and/or the description of a model or one version',
  usage: 'tag <model> [--version N] [--set key=value ...] [--unset key ...] [--description text]',
  options: {
    version: { type: 'string', help: 'tag this version instead of the model' },
    set: { type: 'string', multiple: true, help: 'key=value (repeatable)' },
    unset: { type: 'string', multiple: true, help: 'tag key to remove (repeatable)' },
    description: { type: 'string', help: 'the description' },
  },
  async run({ values, positionals, json }) {
    const name = positional({ positionals }, 0, 'model', this.usage);
    const version = integer(str(values['version']), '--version', { min: 1 });
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(keyValues(list(values['set']), '--set'))) tags[k] = String(v);
    for (const k of list(values['unset']) ?? []) tags[k] = '';
    const description = str(values['description']);
    if (Object.keys(tags).length === 0 && description === undefined) {
      throw new UsageError(`nothing to change; usage: mlops ${this.usage}`);
    }
    await registryService().requireModel(name);
    if (version !== undefined) await registryService().getVersion(name, version);
    await registryService().updateMetadata(name, {
      ...(version !== undefined ? { version } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(Object.keys(tags).length > 0 ? { tags } : {}),
    });
    const record =
      version !== undefined
        ? await registryService().getVersion(name, version)
        : await registryService().requireModel(name);
    if (json) return printJson(record);
    process.stdout.write(
      `${name}${version !== undefined ? ` v${version}` : ''}: ${record.description ?? '(no description)'}; tags ${JSON.stringify(record.tags ?? {})}\n`,
    );
  },
};
