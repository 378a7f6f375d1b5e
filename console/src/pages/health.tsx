import { call, healthReport } from '../api';
import { ErrorNote, fmt, Loading, useAsync, when } from '../components';
import { href } from '../router';

/**
 * Service health (GET /health), the served version (GET /model-info) and, for admins, the
 * production version of every model. Alerts are not read here: `mlops status` shows the firing
 * ones (Alertmanager locally, CloudWatch alarms on AWS).
 */
export function HealthPage({ isAdmin }: { isAdmin: boolean }) {
  const health = useAsync(async () => {
    // /health answers 503 when no model is loaded; that body is still the report.
    return healthReport();
  }, []);
  const info = useAsync(() => call((api) => api.GET('/model-info')), []);
  const models = useAsync(async () => (isAdmin ? call((api) => api.GET('/models')) : undefined), [isAdmin]);
  const report = health.data?.report as
    | {
        status: string;
        registry: string;
        model: { name?: string; version?: number; loaded: boolean; reason?: string };
      }
    | undefined;
  return (
    <section aria-labelledby="health-h">
      <h1 id="health-h">Health</h1>
      <button
        type="button"
        onClick={() => {
          for (const x of [health, info, models]) x.reload();
        }}
      >
        Refresh
      </button>
      <h2>Service</h2>
      {health.loading && !health.data && <Loading what="health" />}
      {health.error !== undefined && <ErrorNote error={health.error} retry={health.reload} />}
      {report && (
        <dl class="kv">
          <div>
            <dt>status</dt>
            <dd>
              <span class={`status ${report.status === 'ok' ? 'FINISHED' : 'FAILED'}`}>
                {health.data!.status === 200 ? report.status : `not ready (${health.data!.status})`}
              </span>
            </dd>
          </div>
          <div>
            <dt>registry</dt>
            <dd>{report.registry}</dd>
          </div>
          <div>
            <dt>model loaded</dt>
            <dd>
              {report.model.loaded
                ? `${report.model.name} v${report.model.version}`
                : `no${report.model.reason ? `: ${report.model.reason}` : ''}`}
            </dd>
          </div>
        </dl>
      )}
      <h2>Served model</h2>
      {info.error !== undefined && <ErrorNote error={info.error} retry={info.reload} />}
      {info.data && (
        <p>
          {info.data.name} v{info.data.version} ({info.data.aliases.join(', ') || 'no alias'}),{' '}
          {info.data.algorithm}, trained {when(info.data.trained_at)}, accuracy{' '}
          {fmt(info.data.metrics['accuracy'])}.
        </p>
      )}
      {isAdmin && (
        <>
          <h2>Production versions</h2>
          {models.error !== undefined && <ErrorNote error={models.error} retry={models.reload} />}
          {models.data && (
            <ul>
              {models.data.models.map((m) => (
                <li key={m.name}>
                  <a href={href('models', m.name)}>{m.name}</a>: production{' '}
                  {m.aliases['production'] !== undefined ? `v${m.aliases['production']}` : 'none'}, latest v
                  {m.latest_version}, updated {when(m.updated_at)}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <h2>Alerts</h2>
      <p>
        The console does not read alerts. <code>npm run mlops -- status</code> lists the firing ones
        (Alertmanager from <code>npm run monitor</code> locally, CloudWatch alarms on AWS).
      </p>
    </section>
  );
}
