import { call, type Run } from '../api';
import { ArtifactImage } from '../artifacts';
import { ErrorNote, fmt, Loading, lowerIsBetter, metricKeys, Scroll, useAsync } from '../components';
import { href } from '../router';

/** 2+ runs side by side: params (differences marked), metrics (best marked), confusion matrices. */
export function ComparePage({ ids }: { ids: string[] }) {
  const data = useAsync(
    () => Promise.all(ids.map((id) => call((api) => api.GET('/runs/{id}', { params: { path: { id } } })))),
    [ids.join()],
  );
  if (ids.length < 2) {
    return (
      <p>
        Pick two or more runs on the <a href="#/runs">Runs</a> page to compare them.
      </p>
    );
  }
  const runs: Run[] = data.data?.map((d) => d.run) ?? [];
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const keys = metricKeys(runs);
  const differs = (k: string) => new Set(runs.map((r) => JSON.stringify(r.params[k]))).size > 1;
  const best = (k: string) => {
    const values = runs.map((r) => r.metrics[k]).filter((v): v is number => v !== undefined);
    return lowerIsBetter(k) ? Math.min(...values) : Math.max(...values);
  };
  return (
    <section aria-labelledby="compare-h">
      <p>
        <a href="#/runs">← Runs</a>
      </p>
      <h1 id="compare-h">Compare {ids.length} runs</h1>
      {data.loading && !data.data && <Loading what="runs" />}
      {data.error !== undefined && <ErrorNote error={data.error} retry={data.reload} />}
      {runs.length > 0 && (
        <>
          <p class="muted">
            Params that differ are marked <span class="diff">≠ like this</span>; the best value of each metric
            is <span class="best">★ marked</span>.
          </p>
          <Scroll label="Comparison">
            <table class="compare">
              <thead>
                <tr>
                  <th scope="col">run</th>
                  {runs.map((r) => (
                    <th scope="col" key={r.run_id}>
                      <a href={href('run', r.run_id)}>{r.run_id.slice(0, 8)}</a>
                      <div class="muted">{r.algorithm ?? (r.trials ? `search ×${r.trials}` : '')}</div>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                <tr class="section">
                  <th scope="rowgroup" colSpan={runs.length + 1}>
                    Params
                  </th>
                </tr>
                {paramKeys.map((k) => (
                  <tr key={k} class={differs(k) ? 'diff' : undefined}>
                    <th scope="row">
                      {differs(k) && (
                        <>
                          <span aria-hidden="true">≠ </span>
                          <span class="sr-only">(differs) </span>
                        </>
                      )}
                      {k}
                    </th>
                    {runs.map((r) => (
                      <td key={r.run_id}>{fmt(r.params[k])}</td>
                    ))}
                  </tr>
                ))}
                <tr class="section">
                  <th scope="rowgroup" colSpan={runs.length + 1}>
                    Metrics
                  </th>
                </tr>
                {keys.map((k) => (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    {runs.map((r) => {
                      const isBest =
                        runs.length > 1 && r.metrics[k] !== undefined && r.metrics[k] === best(k);
                      return (
                        <td key={r.run_id} class={isBest ? 'best' : undefined}>
                          {fmt(r.metrics[k])}
                          {isBest && (
                            <>
                              <span aria-hidden="true"> ★</span>
                              <span class="sr-only"> (best)</span>
                            </>
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
          <h2>Confusion matrices</h2>
          <div class="matrices">
            {runs.map((r) => (
              <figure key={r.run_id}>
                <figcaption>Run {r.run_id.slice(0, 8)}</figcaption>
                {Object.values(r.artifacts).some((k) => k.endsWith('/confusion-matrix.svg')) ? (
                  <ArtifactImage
                    runId={r.run_id}
                    name="confusion-matrix.svg"
                    alt={`Confusion matrix of run ${r.run_id}`}
                  />
                ) : (
                  <p class="muted">
                    No matrix: trials record metrics only; their search run has the winner's matrix.
                  </p>
                )}
              </figure>
            ))}
          </div>
        </>
      )}
    </section>
  );
}
