import { artifactJson, call } from '../api';
import { ArtifactImage, DownloadButton } from '../artifacts';
import {
  duration,
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

interface ModelCard {
  target: string;
  classes: string[];
  split: { train: number; test: number };
  metrics: { perClass?: { class: string; precision: number; recall: number; f1: number; support: number }[] };
  features: { name: string }[];
  dataset: { name: string; rows: number; fingerprint: string };
  [key: string]: unknown;
}

export function RunPage({ id }: { id: string }) {
  const detail = useAsync(() => call((api) => api.GET('/runs/{id}', { params: { path: { id } } })), [id]);
  const run = detail.data?.run;
  const files = run ? Object.values(run.artifacts).map((key) => key.split('/').pop()!) : [];
  const card = useAsync(
    async () =>
      files.includes('model-card.json') ? artifactJson<ModelCard>(id, 'model-card.json') : undefined,
    [id, files.join()],
  );
  return (
    <section aria-labelledby="run-h">
      <p>
        <a href={run ? `#/runs?experiment=${encodeURIComponent(run.experiment)}` : '#/runs'}>← Runs</a>
      </p>
      <h1 id="run-h">Run {id.slice(0, 8)}</h1>
      {detail.loading && !detail.data && <Loading what="the run" />}
      {detail.error !== undefined && <ErrorNote error={detail.error} retry={detail.reload} />}
      {run && (
        <>
          <dl class="kv summary">
            <div>
              <dt>run id</dt>
              <dd>
                <code>{run.run_id}</code>
              </dd>
            </div>
            <div>
              <dt>status</dt>
              <dd>
                <span class={`status ${run.status}`}>{run.status}</span>
                {run.error && ` — ${run.error}`}
              </dd>
            </div>
            {run.reason && (
              <div>
                <dt>why</dt>
                <dd>{run.reason}</dd>
              </div>
            )}
            <div>
              <dt>experiment</dt>
              <dd>{run.experiment}</dd>
            </div>
            {run.parent_run_id && (
              <div>
                <dt>trial of</dt>
                <dd>
                  <a href={href('run', run.parent_run_id)}>{run.parent_run_id.slice(0, 8)}</a>
                </dd>
              </div>
            )}
            <div>
              <dt>started</dt>
              <dd>
                {when(run.started_at)} ({duration(run.duration_ms)})
              </dd>
            </div>
            <div>
              <dt>algorithm</dt>
              <dd>{run.algorithm ?? (run.trials ? `search of ${run.trials} trials` : '—')}</dd>
            </div>
            <div>
              <dt>dataset</dt>
              <dd>
                {run.dataset
                  ? `${run.dataset.source} (${run.dataset.rows} rows, target ${run.dataset.target ?? '?'})`
                  : '—'}
              </dd>
            </div>
            <div>
              <dt>model</dt>
              <dd>
                {run.model_name && run.model_version !== undefined ? (
                  <a href={href('models', run.model_name)}>
                    {run.model_name} v{run.model_version} {run.alias ? `(${run.alias})` : ''}
                  </a>
                ) : (
                  (run.model_name ?? '—')
                )}
              </dd>
            </div>
            <div>
              <dt>code</dt>
              <dd>{run.code_version}</dd>
            </div>
          </dl>
          <div class="two">
            <section aria-labelledby="params-h">
              <h2 id="params-h">Params</h2>
              <KeyValues value={run.params} label="params" />
            </section>
            <section aria-labelledby="metrics-h">
              <h2 id="metrics-h">Metrics</h2>
              {Object.keys(run.metrics).length === 0 ? (
                <p class="muted">none recorded</p>
              ) : (
                <dl class="kv">
                  {metricKeys([run]).map((k) => (
                    <div key={k}>
                      <dt>{k}</dt>
                      <dd>{fmt(run.metrics[k])}</dd>
                    </div>
                  ))}
                </dl>
              )}
            </section>
          </div>
          {files.includes('confusion-matrix.svg') && (
            <section aria-labelledby="cm-h">
              <h2 id="cm-h">Confusion matrix</h2>
              <ArtifactImage runId={id} name="confusion-matrix.svg" alt={`Confusion matrix of run ${id}`} />
            </section>
          )}
          {card.data && <CardView card={card.data} />}
          {card.error !== undefined && <ErrorNote error={card.error} retry={card.reload} />}
          {files.length > 0 && (
            <section aria-labelledby="files-h">
              <h2 id="files-h">Artifacts</h2>
              <div class="row">
                {files.map((f) => (
                  <DownloadButton key={f} runId={id} name={f} />
                ))}
              </div>
            </section>
          )}
          {detail.data?.trials && detail.data.trials.length > 0 && (
            <section aria-labelledby="trials-h">
              <h2 id="trials-h">Trials ({detail.data.trials.length})</h2>
              <Scroll label="Trials">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">trial</th>
                      <th scope="col">status</th>
                      <th scope="col">algorithm</th>
                      {metricKeys(detail.data.trials).map((k) => (
                        <th scope="col" key={k}>
                          {k}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {detail.data.trials.map((t) => (
                      <tr key={t.run_id} class={t.run_id === run.best_trial_run_id ? 'best' : undefined}>
                        <th scope="row">
                          <a href={href('run', t.run_id)}>{t.run_id.slice(-4)}</a>
                          {t.run_id === run.best_trial_run_id && ' (best)'}
                        </th>
                        <td>{t.status}</td>
                        <td>{t.algorithm}</td>
                        {metricKeys(detail.data!.trials!).map((k) => (
                          <td key={k}>{fmt(t.metrics[k])}</td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Scroll>
            </section>
          )}
        </>
      )}
    </section>
  );
}

function CardView({ card }: { card: ModelCard }) {
  const perClass = card.metrics.perClass ?? [];
  return (
    <section aria-labelledby="card-h">
      <h2 id="card-h">Model card</h2>
      <p>
        Predicts <strong>{card.target}</strong> ({card.classes.join(', ')}) from {card.features.length}{' '}
        features; trained on {card.dataset.name} ({card.dataset.rows} rows: {card.split.train} train,{' '}
        {card.split.test} test).
      </p>
      {perClass.length > 0 && (
        <Scroll label="Per-class metrics">
          <table>
            <caption>Per class, on the test split</caption>
            <Head cols={['class', 'precision', 'recall', 'F1', 'support']} />
            <tbody>
              {perClass.map((m) => (
                <tr key={m.class}>
                  <th scope="row">{m.class}</th>
                  <td>{fmt(m.precision)}</td>
                  <td>{fmt(m.recall)}</td>
                  <td>{fmt(m.f1)}</td>
                  <td>{fmt(m.support)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      <details>
        <summary>The whole card (JSON)</summary>
        <pre>{JSON.stringify(card, null, 2)}</pre>
      </details>
    </section>
  );
}
