import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, putUpload, type Run } from '../api';
import { duration, ErrorNote, fmt, useAsync } from '../components';
import { headerOf } from '../csv';
import { href } from '../router';

const BUILTIN = { iris: 'species', wine: 'class', breast_cancer: 'diagnosis' } as const;
const ALGORITHMS = ['auto', 'logreg', 'tree', 'forest', 'gbt'] as const;

/** Pick data (built-in, a new upload or an earlier one), choose algorithm and trials, start, watch. */
export function TrainPage() {
  const uploads = useAsync(() => call((api) => api.GET('/datasets')), []);
  const [source, setSource] = useState<'builtin' | 'upload' | 'uploaded'>('builtin');
  const [builtin, setBuiltin] = useState<keyof typeof BUILTIN>('iris');
  const [dataset, setDataset] = useState<string>();
  const [columns, setColumns] = useState<string[]>([]);
  const [target, setTarget] = useState('');
  const [modelName, setModelName] = useState('');
  const [algorithm, setAlgorithm] = useState<(typeof ALGORITHMS)[number]>('logreg');
  const [trials, setTrials] = useState(1);
  const [uploadState, setUploadState] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [runId, setRunId] = useState<string>();
  const [busy, setBusy] = useState(false);
  const maxBytes = uploads.data?.max_bytes;

  const chooseFile = async (file: File | undefined) => {
    setError(undefined);
    setDataset(undefined);
    setUploadState(undefined);
    if (!file) return;
    if (!/\.csv$/i.test(file.name)) {
      setError(new ApiError(415, 'NOT_CSV', `${file.name} is not a .csv file.`));
      return;
    }
    if (maxBytes !== undefined && file.size > maxBytes) {
      setError(
        new ApiError(413, 'TOO_LARGE', `${file.name} is ${file.size} bytes; the limit is ${maxBytes} bytes.`),
      );
      return;
    }
    try {
      const header = headerOf(await file.slice(0, 64 * 1024).text());
      setColumns(header);
      setTarget(header[header.length - 1] ?? '');
      setModelName(
        (m) =>
          m ||
          file.name
            .replace(/\.csv$/i, '')
            .replace(/[^A-Za-z0-9_.-]+/g, '-')
            .slice(0, 64),
      );
      setUploadState(`Uploading ${file.name} (${file.size} bytes)…`);
      const ticket = await call((api) =>
        api.POST('/datasets', {
          body: { filename: file.name, bytes: file.size, content_type: file.type || 'text/csv' },
        }),
      );
      await putUpload(ticket.upload, file);
      setDataset(ticket.dataset);
      setUploadState(`Uploaded as ${ticket.dataset}.`);
      uploads.reload();
    } catch (e) {
      setUploadState(undefined);
      setError(e);
    }
  };

  const chosenDataset = source === 'builtin' ? `builtin:${builtin}` : source === 'upload' ? dataset : dataset;

  const start = async (event: Event) => {
    event.preventDefault();
    if (!chosenDataset) return;
    setBusy(true);
    setError(undefined);
    try {
      const accepted = await call((api) =>
        api.POST('/train', {
          body: {
            dataset: chosenDataset,
            ...(source !== 'builtin' ? { target } : {}),
            ...(modelName ? { model_name: modelName } : {}),
            algorithm,
            ...(trials > 1 ? { trials } : {}),
          },
        }),
      );
      setRunId(accepted.run_id);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="train-h">
      <h1 id="train-h">Train</h1>
      <form class="card" onSubmit={start}>
        <fieldset>
          <legend>Data</legend>
          <label class="inline">
            <input
              type="radio"
              name="source"
              checked={source === 'builtin'}
              onChange={() => setSource('builtin')}
            />
            Built-in dataset
          </label>
          <label class="inline">
            <input
              type="radio"
              name="source"
              checked={source === 'upload'}
              onChange={() => setSource('upload')}
            />
            Upload a CSV
          </label>
          <label class="inline">
            <input
              type="radio"
              name="source"
              checked={source === 'uploaded'}
              onChange={() => setSource('uploaded')}
              disabled={(uploads.data?.datasets.length ?? 0) === 0}
            />
            An earlier upload
          </label>
          {source === 'builtin' && (
            <label>
              Dataset
              <select
                value={builtin}
                onChange={(e) => setBuiltin((e.target as HTMLSelectElement).value as keyof typeof BUILTIN)}
              >
                {Object.keys(BUILTIN).map((b) => (
                  <option key={b}>{b}</option>
                ))}
              </select>
            </label>
          )}
          {source === 'upload' && (
            <label>
              CSV file (header row, numeric features
              {maxBytes ? `, at most ${Math.round(maxBytes / 1048576)} MB` : ''})
              <input
                type="file"
                accept=".csv,text/csv"
                onChange={(e) => void chooseFile((e.target as HTMLInputElement).files?.[0])}
              />
            </label>
          )}
          {source === 'uploaded' && (
            <label>
              Uploaded file
              <select
                value={dataset ?? ''}
                onChange={(e) => {
                  setDataset((e.target as HTMLSelectElement).value);
                  setColumns([]);
                }}
              >
                <option value="">— choose —</option>
                {(uploads.data?.datasets ?? []).map((d) => (
                  <option key={d.dataset} value={d.dataset}>
                    {d.name} ({d.bytes} bytes, {d.uploaded_at.slice(0, 16).replace('T', ' ')})
                  </option>
                ))}
              </select>
            </label>
          )}
          {uploadState && (
            <p role="status" class="notice">
              {uploadState}
            </p>
          )}
          {source !== 'builtin' && columns.length > 0 && (
            <label>
              Target (label) column
              <select value={target} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
                {columns.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            </label>
          )}
          {source !== 'builtin' && columns.length === 0 && (
            <label>
              Target (label) column
              <input
                value={target}
                required
                onInput={(e) => setTarget((e.target as HTMLInputElement).value)}
              />
            </label>
          )}
        </fieldset>
        <fieldset>
          <legend>Model</legend>
          <label>
            Model name
            <input
              value={modelName}
              placeholder={source === 'builtin' ? builtin : 'from the file name'}
              pattern="[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"
              onInput={(e) => setModelName((e.target as HTMLInputElement).value)}
            />
          </label>
          <label>
            Algorithm
            <select
              value={algorithm}
              onChange={(e) => setAlgorithm((e.target as HTMLSelectElement).value as typeof algorithm)}
            >
              {ALGORITHMS.map((a) => (
                <option key={a} value={a}>
                  {a === 'auto' ? 'auto (search every algorithm)' : a}
                </option>
              ))}
            </select>
          </label>
          <label>
            Trials (hyperparameter search; 1 = one fit)
            <input
              type="number"
              min={1}
              max={500}
              value={trials}
              onInput={(e) => setTrials(Number((e.target as HTMLInputElement).value) || 1)}
            />
          </label>
        </fieldset>
        {error !== undefined && <ErrorNote error={error} />}
        <button
          type="submit"
          class="primary"
          disabled={busy || !chosenDataset || (source !== 'builtin' && !target)}
        >
          {busy ? 'Starting…' : 'Start training'}
        </button>
      </form>
      {runId && <RunWatch runId={runId} key={runId} />}
    </section>
  );
}

/** Polls the run until it is no longer RUNNING; then links to the version it registered. */
function RunWatch({ runId }: { runId: string }) {
  const [run, setRun] = useState<Run>();
  const [trialsDone, setTrialsDone] = useState(0);
  const [error, setError] = useState<unknown>();
  const timer = useRef<number>();
  useEffect(() => {
    let live = true;
    const poll = async () => {
      try {
        const detail = await call((api) => api.GET('/runs/{id}', { params: { path: { id: runId } } }));
        if (!live) return;
        setRun(detail.run);
        setError(undefined);
        setTrialsDone(detail.trials?.filter((t) => t.status !== 'RUNNING').length ?? 0);
        if (detail.run.status === 'RUNNING') timer.current = window.setTimeout(poll, 1000);
      } catch (e) {
        if (!live) return;
        setError(e);
        // Keep watching through a blip (the API restarting); a 401 ends here via sign-in.
        if (!(e instanceof ApiError) || e.status !== 401) timer.current = window.setTimeout(poll, 3000);
      }
    };
    void poll();
    return () => {
      live = false;
      window.clearTimeout(timer.current);
    };
  }, [runId]);
  return (
    <section class="card" aria-labelledby="watch-h" aria-live="polite">
      <h2 id="watch-h">
        Run <a href={href('run', runId)}>{runId.slice(0, 8)}</a>:{' '}
        <span class={`status ${run?.status ?? ''}`}>{run?.status ?? '…'}</span>
      </h2>
      {run?.trials ? (
        <p>
          <progress max={run.trials} value={trialsDone} /> {trialsDone} of {run.trials} trials
        </p>
      ) : null}
      {run?.status === 'RUNNING' && <p class="muted">Training… this page updates every second.</p>}
      {run?.status === 'FINISHED' && (
        <p>
          Done in {duration(run.duration_ms)}: accuracy {fmt(run.metrics['accuracy'])}. Registered as{' '}
          <a href={href('models', run.model_name ?? '')}>
            {run.model_name} v{run.model_version}
          </a>{' '}
          ({run.alias ?? 'no alias'}){run.reason ? `: ${run.reason}` : ''}.
        </p>
      )}
      {run && !['RUNNING', 'FINISHED', 'FAILED'].includes(run.status) && (
        <p>
          Ended {run.status}
          {run.reason ? `: ${run.reason}` : ''}. No new version was registered.
        </p>
      )}
      {run?.status === 'FAILED' && (
        <div class="error" role="alert">
          <p>
            <strong>Training failed: {run.error}</strong>
          </p>
          <p>Fix the data or the settings above and start again; nothing was registered.</p>
        </div>
      )}
      {error !== undefined && <ErrorNote error={error} />}
    </section>
  );
}
