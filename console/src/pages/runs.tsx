import { useMemo, useState } from 'preact/hooks';
import { call, type Run } from '../api';
import {
  duration,
  ErrorNote,
  fmt,
  Loading,
  lowerIsBetter,
  metricKeys,
  Scroll,
  useAsync,
  when,
} from '../components';
import { href, navigate } from '../router';

/** Runs of an experiment: filter, sort by any metric, trials under their search, select to compare. */
export function RunsPage({ query }: { query: URLSearchParams }) {
  const experiments = useAsync(() => call((api) => api.GET('/experiments')), []);
  const chosen = query.get('experiment') ?? '';
  const runs = useAsync(
    () =>
      call((api) =>
        api.GET('/runs', { params: { query: { limit: 200, ...(chosen ? { experiment: chosen } : {}) } } }),
      ),
    [chosen],
  );
  const [filter, setFilter] = useState('');
  const [status, setStatus] = useState('');
  const [sort, setSort] = useState<{ key: string; desc: boolean }>({ key: 'started_at', desc: true });
  const [selected, setSelected] = useState<string[]>([]);
  const [open, setOpen] = useState<Record<string, Run[] | 'loading' | undefined>>({});

  const list = runs.data?.runs ?? [];
  const keys = metricKeys(list);
  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const match = (r: Run) =>
      (!status || r.status === status) &&
      (!needle ||
        [r.run_id, r.algorithm, r.model_name, r.status, r.dataset?.source, JSON.stringify(r.params)]
          .join(' ')
          .toLowerCase()
          .includes(needle));
    const value = (r: Run) => (sort.key === 'started_at' ? r.started_at : r.metrics[sort.key]);
    return list.filter(match).sort((a, b) => {
      const [x, y] = [value(a), value(b)];
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const order = x < y ? -1 : x > y ? 1 : 0;
      return sort.desc ? -order : order;
    });
  }, [list, filter, status, sort]);

  const toggleSort = (key: string) =>
    setSort((s) => (s.key === key ? { key, desc: !s.desc } : { key, desc: !lowerIsBetter(key) }));
  const toggle = (id: string) =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  const expand = async (run: Run) => {
    if (open[run.run_id]) return setOpen((o) => ({ ...o, [run.run_id]: undefined }));
    setOpen((o) => ({ ...o, [run.run_id]: 'loading' }));
    try {
      const detail = await call((api) => api.GET('/runs/{id}', { params: { path: { id: run.run_id } } }));
      setOpen((o) => ({ ...o, [run.run_id]: detail.trials ?? [] }));
    } catch {
      setOpen((o) => ({ ...o, [run.run_id]: undefined }));
    }
  };

  const sortButton = (key: string, label = key) => (
    <th
      scope="col"
      key={key}
      aria-sort={sort.key === key ? (sort.desc ? 'descending' : 'ascending') : undefined}
    >
      <button type="button" class="sort" onClick={() => toggleSort(key)}>
        {label}
        <span aria-hidden="true">{sort.key === key ? (sort.desc ? ' ▼' : ' ▲') : ''}</span>
      </button>
    </th>
  );

  const row = (r: Run, trial = false) => (
    <tr key={r.run_id} class={trial ? 'trial' : undefined}>
      <td>
        <input
          type="checkbox"
          aria-label={`select run ${r.run_id}`}
          checked={selected.includes(r.run_id)}
          onChange={() => toggle(r.run_id)}
        />
      </td>
      <th scope="row">
        {trial && <span aria-hidden="true">↳ </span>}
        <a href={href('run', r.run_id)}>{trial ? r.run_id.slice(-4) : r.run_id.slice(0, 8)}</a>
      </th>
      <td>
        <span class={`status ${r.status}`}>{r.status}</span>
      </td>
      <td>{when(r.started_at)}</td>
      <td>{duration(r.duration_ms)}</td>
      <td>
        {r.algorithm ?? (r.trials ? `search ×${r.trials}` : '—')}
        {r.trials ? (
          <button
            type="button"
            class="link"
            aria-expanded={Boolean(open[r.run_id])}
            onClick={() => void expand(r)}
          >
            {open[r.run_id] ? ' hide trials' : ' show trials'}
          </button>
        ) : null}
      </td>
      {keys.map((k) => (
        <td key={k}>{fmt(r.metrics[k])}</td>
      ))}
      <td>{r.model_version !== undefined ? `v${r.model_version}${r.alias ? ` (${r.alias})` : ''}` : '—'}</td>
    </tr>
  );

  return (
    <section aria-labelledby="runs-h">
      <h1 id="runs-h">Runs</h1>
      <div class="toolbar">
        <label>
          Experiment
          <select
            value={chosen || runs.data?.experiment}
            onChange={(e) =>
              navigate(`#/runs?experiment=${encodeURIComponent((e.target as HTMLSelectElement).value)}`)
            }
          >
            {(experiments.data?.experiments ?? []).map((x) => (
              <option key={x.name} value={x.name}>
                {x.name} ({x.run_count})
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input
            type="search"
            value={filter}
            onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            <option>FINISHED</option>
            <option>RUNNING</option>
            <option>FAILED</option>
            <option>SKIPPED</option>
          </select>
        </label>
        <button
          type="button"
          class="primary"
          disabled={selected.length < 2}
          onClick={() => navigate(`#/compare/${selected.map(encodeURIComponent).join(',')}`)}
        >
          Compare selected ({selected.length})
        </button>
      </div>
      {runs.loading && !runs.data && <Loading what="runs" />}
      {runs.error !== undefined && <ErrorNote error={runs.error} retry={runs.reload} />}
      {runs.data && (
        <Scroll label="Runs">
          <table>
            <thead>
              <tr>
                <th scope="col">
                  <span class="sr-only">select</span>
                </th>
                <th scope="col">run</th>
                <th scope="col">status</th>
                {sortButton('started_at', 'started')}
                <th scope="col">time</th>
                <th scope="col">algorithm</th>
                {keys.map((k) => sortButton(k))}
                <th scope="col">version</th>
              </tr>
            </thead>
            <tbody>
              {shown.flatMap((r) => {
                const trials = open[r.run_id];
                const rows = [row(r)];
                if (trials === 'loading')
                  rows.push(
                    <tr key={`${r.run_id}-loading`}>
                      <td colSpan={8 + keys.length}>Loading trials…</td>
                    </tr>,
                  );
                else if (trials) rows.push(...trials.map((t) => row(t, true)));
                return rows;
              })}
            </tbody>
          </table>
        </Scroll>
      )}
      {runs.data && shown.length === 0 && <p>No run matches.</p>}
    </section>
  );
}
