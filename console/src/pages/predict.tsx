import { useState } from 'preact/hooks';
import { type Answer, artifactJson, call, type ModelInfo } from '../api';
import { BarChart } from '../charts';
import { ErrorNote, fmt, Head, Loading, Scroll, useAsync } from '../components';
import { rowsFromCsv } from '../csv';

interface FeatureBaseline {
  name: string;
  mean: number;
  min: number;
  max: number;
  quantiles: number[];
}

type PredictOne = Answer<'postPredict'> & { prediction?: string };

/** Typical value of a feature in the training data: its median, rounded for a form field. */
function example(f: FeatureBaseline | undefined): string {
  if (!f) return '';
  const median = f.quantiles[Math.floor(f.quantiles.length / 2)] ?? f.mean;
  return String(Number(median.toPrecision(4)));
}

export function PredictPage() {
  const info = useAsync(async () => {
    const model = await call((api) => api.GET('/model-info'));
    // Example values from the run's training baseline; the form still works without them.
    const baseline = await artifactJson<{ features: FeatureBaseline[] }>(model.run_id, 'baseline.json').catch(
      () => undefined,
    );
    return { model, baseline: new Map(baseline?.features.map((f) => [f.name, f])) };
  }, []);

  return (
    <section aria-labelledby="predict-h">
      <h1 id="predict-h">Predict</h1>
      {info.loading && !info.data && <Loading what="the served model" />}
      {info.error !== undefined && <ErrorNote error={info.error} retry={info.reload} />}
      {info.data && <PredictForms model={info.data.model} baseline={info.data.baseline} />}
    </section>
  );
}

function PredictForms({ model, baseline }: { model: ModelInfo; baseline: Map<string, FeatureBaseline> }) {
  const [mode, setMode] = useState<'row' | 'csv'>('row');
  const [result, setResult] = useState<PredictOne>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [csv, setCsv] = useState('');

  const run = async (body: { features: number[] } | { instances: number[][] }) => {
    setBusy(true);
    setError(undefined);
    try {
      setResult((await call((api) => api.POST('/predict', { body }))) as PredictOne);
    } catch (e) {
      setError(e);
      setResult(undefined);
    } finally {
      setBusy(false);
    }
  };

  const submitRow = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    void run({ features: model.feature_names.map((name) => Number(form.get(name))) });
  };

  const submitCsv = (event: Event) => {
    event.preventDefault();
    try {
      const rows = rowsFromCsv(csv, model.feature_names);
      void run({ instances: rows });
    } catch (e) {
      setError(e);
    }
  };

  return (
    <>
      <p>
        Served model: <strong>{model.name}</strong> version <strong>{model.version}</strong>
        {model.aliases.length > 0 && ` (${model.aliases.join(', ')})`}, {model.algorithm}, accuracy{' '}
        {fmt(model.metrics['accuracy'])}.
      </p>
      <fieldset class="tabs">
        <legend class="sr-only">Input</legend>
        <button type="button" aria-pressed={mode === 'row'} onClick={() => setMode('row')}>
          One row
        </button>
        <button type="button" aria-pressed={mode === 'csv'} onClick={() => setMode('csv')}>
          CSV (many rows)
        </button>
      </fieldset>
      {mode === 'row' ? (
        <form onSubmit={submitRow} class="card" aria-label="Features of one row">
          <div class="grid">
            {model.feature_names.map((name) => {
              const f = baseline.get(name);
              return (
                <label key={name}>
                  {name}
                  <input
                    name={name}
                    type="number"
                    step="any"
                    required
                    defaultValue={example(f)}
                    aria-describedby={f ? `range-${name}` : undefined}
                  />
                  {f && (
                    <small id={`range-${name}`} class="muted">
                      training range {fmt(f.min)} – {fmt(f.max)}
                    </small>
                  )}
                </label>
              );
            })}
          </div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Scoring…' : 'Predict'}
          </button>
        </form>
      ) : (
        <form onSubmit={submitCsv} class="card" aria-label="Rows as CSV">
          <label>
            Paste CSV (header with the feature names, or values in this order:{' '}
            {model.feature_names.join(', ')})
            <textarea rows={6} value={csv} onInput={(e) => setCsv((e.target as HTMLTextAreaElement).value)} />
          </label>
          <label>
            …or choose a CSV file
            <input
              type="file"
              accept=".csv,text/csv"
              onChange={async (e) => {
                const file = (e.target as HTMLInputElement).files?.[0];
                if (file) setCsv(await file.text());
              }}
            />
          </label>
          <button type="submit" class="primary" disabled={busy || csv.trim() === ''}>
            {busy ? 'Scoring…' : 'Predict all rows'}
          </button>
        </form>
      )}
      <div aria-live="polite">
        {error !== undefined && <ErrorNote error={error} />}
        {result && <PredictResult result={result} />}
      </div>
    </>
  );
}

function PredictResult({ result }: { result: PredictOne }) {
  if ('predictions' in result && result.predictions) {
    return (
      <section class="card result" aria-label="Predictions">
        <h2>
          {result.predictions.length} predictions by {result.model_name} v{result.model_version}
        </h2>
        <Scroll label="Predictions">
          <table>
            <Head cols={['row', 'class', 'probability']} />
            <tbody>
              {result.predictions.map((p, i) => (
                <tr key={i}>
                  <td>{i + 1}</td>
                  <td>{p.prediction}</td>
                  <td>{fmt(p.probabilities[p.prediction])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      </section>
    );
  }
  const one = result as PredictOne & { probabilities: Record<string, number> };
  return (
    <section class="card result" aria-label="Prediction">
      <h2>
        Class: <output>{one.prediction}</output>
      </h2>
      <p class="muted">
        by model {one.model_name} version <span data-testid="served-version">{one.model_version}</span>
      </p>
      <BarChart values={one.probabilities} label="Probability per class" />
    </section>
  );
}
