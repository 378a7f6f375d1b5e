import { useState } from 'preact/hooks';
import { call, type Model, type Version } from '../api';
import { LineChart } from '../charts';
import {
  ConfirmButton,
  ErrorNote,
  fmt,
  Head,
  KeyValues,
  Loading,
  metricKeys,
  Scroll,
  useAsync,
  when,
} from '../components';
import { href } from '../router';
import { session } from '../session';

export function ModelsPage() {
  const models = useAsync(() => call((api) => api.GET('/models')), []);
  return (
    <section aria-labelledby="models-h">
      <h1 id="models-h">Models</h1>
      {models.loading && !models.data && <Loading what="models" />}
      {models.error !== undefined && <ErrorNote error={models.error} retry={models.reload} />}
      {models.data && models.data.models.length === 0 && (
        <p>
          No registered model yet. <a href="#/train">Train one</a>.
        </p>
      )}
      {models.data && models.data.models.length > 0 && (
        <Scroll label="Registered models">
          <table>
            <Head cols={['model', 'latest', 'aliases', 'updated', 'description']} />
            <tbody>
              {models.data.models.map((m) => (
                <tr key={m.name}>
                  <td>
                    <a href={href('models', m.name)}>{m.name}</a>
                  </td>
                  <td>v{m.latest_version}</td>
                  <td>
                    <Aliases aliases={m.aliases} />
                  </td>
                  <td>{when(m.updated_at)}</td>
                  <td>{m.description ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </section>
  );
}

function Aliases({ aliases }: { aliases: Record<string, number> }) {
  const entries = Object.entries(aliases);
  if (entries.length === 0) return <span class="muted">none</span>;
  return (
    <span>
      {entries.map(([alias, v]) => (
        <span key={alias} class={`chip ${alias}`}>
          {alias} → v{v}
        </span>
      ))}
    </span>
  );
}

export function ModelPage({ name }: { name: string }) {
  const data = useAsync(
    () => call((api) => api.GET('/models/{name}/versions', { params: { path: { name } } })),
    [name],
  );
  const [message, setMessage] = useState<string>();
  const admin = session.isAdmin();
  const done = (text: string) => {
    setMessage(text);
    data.reload();
  };
  const model = data.data?.model;
  const versions = data.data?.versions ?? [];
  const keys = metricKeys(versions);
  return (
    <section aria-labelledby="model-h">
      <p>
        <a href="#/models">← Models</a>
      </p>
      <h1 id="model-h">Model {name}</h1>
      {data.loading && !data.data && <Loading what="versions" />}
      {data.error !== undefined && <ErrorNote error={data.error} retry={data.reload} />}
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {model && (
        <>
          <p>
            Aliases: <Aliases aliases={model.aliases} />
            {model.production_history.length > 0 &&
              ` · earlier production versions: ${model.production_history.map((v) => `v${v}`).join(', ')}`}
          </p>
          <h2>Metrics per version</h2>
          <div class="charts">
            {keys
              .filter((k) => !k.endsWith('_ms'))
              .map((k) => (
                <figure key={k}>
                  <figcaption>{k}</figcaption>
                  <LineChart
                    label={`${k} of ${name} per version`}
                    xLabel="version"
                    series={[
                      {
                        name: k,
                        points: versions
                          .filter((v) => v.metrics[k] !== undefined)
                          .map((v) => ({ x: v.version, y: v.metrics[k]!, note: when(v.created_at) }))
                          .sort((a, b) => a.x - b.x),
                      },
                    ]}
                  />
                </figure>
              ))}
          </div>
          <h2>Versions</h2>
          <Scroll label="Versions">
            <table class="versions">
              <thead>
                <tr>
                  <th scope="col">version</th>
                  <th scope="col">aliases</th>
                  <th scope="col">algorithm</th>
                  {keys.map((k) => (
                    <th scope="col" key={k}>
                      {k}
                    </th>
                  ))}
                  <th scope="col">lineage</th>
                  <th scope="col">created</th>
                  {admin && <th scope="col">actions</th>}
                </tr>
              </thead>
              <tbody>
                {versions.map((v) => (
                  <VersionRow key={v.version} v={v} keys={keys} model={model} admin={admin} onDone={done} />
                ))}
              </tbody>
            </table>
          </Scroll>
          {admin && <ModelActions model={model} versions={versions} onDone={done} />}
          <h2>Promotion decisions</h2>
          <Decisions versions={versions} />
        </>
      )}
    </section>
  );
}

function VersionRow(props: {
  v: Version;
  keys: string[];
  model: Model;
  admin: boolean;
  onDone: (m: string) => void;
}) {
  const { v, keys, model, admin } = props;
  const isProduction = model.aliases['production'] === v.version;
  return (
    <tr>
      <th scope="row">v{v.version}</th>
      <td>
        {v.aliases.map((a) => (
          <span key={a} class={`chip ${a}`}>
            {a}
          </span>
        ))}
      </td>
      <td>{v.algorithm}</td>
      {keys.map((k) => (
        <td key={k}>{fmt(v.metrics[k])}</td>
      ))}
      <td class="lineage">
        run <a href={href('run', v.run_id)}>{v.run_id.slice(0, 8)}</a> · data {v.dataset.source} (
        {v.dataset.rows} rows, {v.dataset.fingerprint.slice(0, 8)}) · code {v.code_version}
        {v.description && <div>{v.description}</div>}
        {v.tags && Object.keys(v.tags).length > 0 && (
          <div>
            {Object.entries(v.tags).map(([k, t]) => (
              <span key={k} class="chip">
                {k}={t}
              </span>
            ))}
          </div>
        )}
      </td>
      <td>{when(v.created_at)}</td>
      {admin && (
        <td>
          <ConfirmButton
            label={`Promote v${v.version}`}
            title={`Promote ${model.name} v${v.version}`}
            confirmLabel="Promote"
            disabled={isProduction}
            action={async () => {
              const out = await call((api) =>
                api.POST('/models/{name}/promote', {
                  params: { path: { name: model.name } },
                  body: { version: v.version },
                }),
              );
              props.onDone(
                `${model.name} v${v.version} is now production. /predict serves it after its next registry check (MODEL_REFRESH_SECONDS, 60 s by default).${warned(out)}`,
              );
            }}
          >
            <p>
              Production moves from v{model.aliases['production'] ?? '—'} to v{v.version}. /predict follows at
              its next registry check; Roll back returns to the current version.
            </p>
          </ConfirmButton>
        </td>
      )}
    </tr>
  );
}

/** The promotion decision recorded with each version, whatever fields it has. */
function Decisions({ versions }: { versions: Version[] }) {
  const withDecision = versions.filter((v) => v.decision);
  if (withDecision.length === 0) {
    return <p class="muted">No promotion decision is recorded with these versions.</p>;
  }
  return (
    <div class="decisions">
      {withDecision.map((v) => (
        <details key={v.version}>
          <summary>v{v.version}</summary>
          <KeyValues value={v.decision as Record<string, unknown>} label={`decision v${v.version}`} />
        </details>
      ))}
    </div>
  );
}

function ModelActions({
  model,
  versions,
  onDone,
}: {
  model: Model;
  versions: Version[];
  onDone: (m: string) => void;
}) {
  const [alias, setAlias] = useState('');
  const [aliasVersion, setAliasVersion] = useState('');
  const [target, setTarget] = useState('');
  const [description, setDescription] = useState('');
  const [tag, setTag] = useState('');
  const previous = model.production_history[model.production_history.length - 1];
  const path = { params: { path: { name: model.name } } };
  const tags = Object.fromEntries(
    tag
      .split(',')
      .map((t) => t.split('=').map((s) => s.trim()))
      .filter((kv) => kv[0])
      .map(([k, v]) => [k!, v ?? '']),
  );
  return (
    <div class="card actions-card">
      <h2>Admin actions</h2>
      <div class="row">
        <ConfirmButton
          label="Roll back"
          title={`Roll back ${model.name}`}
          confirmLabel="Roll back"
          disabled={previous === undefined}
          action={async () => {
            const out = await call((api) => api.POST('/models/{name}/rollback', path));
            onDone(`Production is back to v${out.model.aliases['production']}.${warned(out)}`);
          }}
        >
          <p>
            Production moves from v{model.aliases['production']} back to v{previous}.
          </p>
        </ConfirmButton>
      </div>
      <fieldset>
        <legend>Set or remove an alias</legend>
        <label>
          Alias
          <input
            value={alias}
            onInput={(e) => setAlias((e.target as HTMLInputElement).value)}
            placeholder="challenger"
          />
        </label>
        <label>
          Version (empty removes the alias)
          <select
            value={aliasVersion}
            onChange={(e) => setAliasVersion((e.target as HTMLSelectElement).value)}
          >
            <option value="">— remove —</option>
            <VersionOptions versions={versions} />
          </select>
        </label>
        <ConfirmButton
          label="Apply alias"
          title={`Alias on ${model.name}`}
          disabled={alias.trim() === ''}
          action={async () => {
            await call((api) =>
              api.POST('/models/{name}/aliases', {
                ...path,
                body: { alias: alias.trim(), ...(aliasVersion ? { version: Number(aliasVersion) } : {}) },
              }),
            );
            onDone(aliasVersion ? `${alias} → v${aliasVersion}.` : `Alias ${alias} removed.`);
          }}
        >
          <p>{aliasVersion ? `Point "${alias}" at v${aliasVersion}.` : `Remove the alias "${alias}".`}</p>
        </ConfirmButton>
      </fieldset>
      <fieldset>
        <legend>Describe and tag</legend>
        <label>
          Of
          <select value={target} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
            <option value="">the model</option>
            <VersionOptions versions={versions} />
          </select>
        </label>
        <label>
          Description
          <input value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Tags (key=value, comma-separated; an empty value removes a tag)
          <input value={tag} onInput={(e) => setTag((e.target as HTMLInputElement).value)} />
        </label>
        <ConfirmButton
          label="Save description and tags"
          title={`Metadata of ${model.name}`}
          disabled={description.trim() === '' && Object.keys(tags).length === 0}
          action={async () => {
            await call((api) =>
              api.POST('/models/{name}/metadata', {
                ...path,
                body: {
                  ...(target ? { version: Number(target) } : {}),
                  ...(description.trim() ? { description: description.trim() } : {}),
                  ...(Object.keys(tags).length > 0 ? { tags } : {}),
                },
              }),
            );
            onDone('Saved.');
          }}
        >
          <p>Save on {target ? `v${target}` : 'the model'}.</p>
        </ConfirmButton>
      </fieldset>
    </div>
  );
}

function VersionOptions({ versions }: { versions: Version[] }) {
  return (
    <>
      {versions.map((v) => (
        <option key={v.version} value={v.version}>
          v{v.version}
        </option>
      ))}
    </>
  );
}

/** Warnings the registry attached to an alias change (e.g. a different feature schema), as a sentence. */
const warned = (out: { warnings?: string[] }) =>
  out.warnings && out.warnings.length > 0 ? ` Warning: ${out.warnings.join('; ')}` : '';
