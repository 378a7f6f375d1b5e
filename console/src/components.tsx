import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

/** Loads data for a page; `reload` re-runs it. Errors stay as values so the page can explain them. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** What went wrong and how to recover, in words; a retry button when retrying can help. */
export function ErrorNote({ error, retry }: { error: unknown; retry?: () => void }) {
  const e =
    error instanceof ApiError ? error : new ApiError(0, 'CLIENT', (error as Error)?.message ?? String(error));
  if (e.status === 401) return null; // the sign-in screen takes over
  return (
    <div class="error" role="alert">
      <p>
        <strong>{e.message}</strong>
      </p>
      {e.details.length > 0 && (
        <ul>
          {e.details.map((d) => (
            <li key={`${d.field}${d.message}`}>
              {d.field ? <code>{d.field}</code> : null} {d.message}
            </li>
          ))}
        </ul>
      )}
      {e.hint && <p>{e.hint}</p>}
      {retry && (
        <button type="button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** A table head of plain column names. */
export function Head({ cols }: { cols: readonly string[] }) {
  return (
    <thead>
      <tr>
        {cols.map((c) => (
          <th scope="col" key={c}>
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** A scrollable table wrapper, so wide tables never widen the page on a phone. */
export function Scroll({ children, label }: { children: ComponentChildren; label: string }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section class="scroll" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}

/**
 * A button that asks first: a modal <dialog> (focus is trapped and Escape cancels, natively) with
 * what will happen, then runs `action`, showing its error in the dialog.
 */
export function ConfirmButton(props: {
  label: string;
  title: string;
  children: ComponentChildren;
  confirmLabel?: string;
  action: () => Promise<unknown>;
  disabled?: boolean;
  class?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const close = () => {
    setError(undefined);
    dialog.current?.close();
  };
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.action();
      dialog.current?.close();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        class={props.class}
        disabled={props.disabled}
        onClick={() => dialog.current?.showModal()}
      >
        {props.label}
      </button>
      <dialog ref={dialog} aria-labelledby={`${props.title}-h`} onClose={() => setError(undefined)}>
        <h2 id={`${props.title}-h`}>{props.title}</h2>
        <div>{props.children}</div>
        {error !== undefined && <ErrorNote error={error} />}
        <div class="actions">
          <button type="button" class="primary" onClick={confirm} disabled={busy}>
            {busy ? 'Working…' : (props.confirmLabel ?? 'Confirm')}
          </button>
          <button type="button" onClick={close} disabled={busy}>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}

export const fmt = (v: unknown): string => {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4).replace(/\.?0+$/, '');
  if (v === undefined || v === null) return '—';
  return String(v);
};

export const when = (iso: string | undefined) => (iso ? iso.replace('T', ' ').slice(0, 19) : '—');

export const duration = (ms: number | undefined) =>
  ms === undefined ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;

/** Metric keys (whatever a run or version carries), headline ones first. */
export function metricKeys(records: readonly { metrics: Record<string, number> }[]): string[] {
  const keys = new Set(records.flatMap((r) => Object.keys(r.metrics)));
  const rank = (k: string) => {
    const base = k.replace(/^(validation|cv|test)_/, '');
    const i = ['accuracy', 'macro_f1', 'log_loss'].indexOf(base);
    return (i < 0 ? 10 : i) + (k === base ? 0 : 0.5);
  };
  return [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Lower is better for losses and timings; higher for scores. */
export const lowerIsBetter = (metric: string) => /loss|_ms$|error/.test(metric);

/** A key/value list for an object of unknown shape (a promotion decision, tags). */
export function KeyValues({ value, label }: { value: Record<string, unknown>; label: string }) {
  return (
    <dl class="kv" aria-label={label}>
      {Object.entries(value).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            {v !== null && typeof v === 'object' ? (
              Array.isArray(v) ? (
                v.map(fmt).join(', ')
              ) : (
                <KeyValues value={v as Record<string, unknown>} label={k} />
              )
            ) : (
              fmt(v)
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}
