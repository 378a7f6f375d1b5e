/**
 * Charts as plain SVG (no library: two small charts do not justify one). Each has a text
 * alternative: the bars carry their values as text, and the line chart's data is a table below it.
 */
export function BarChart({ values, label }: { values: Record<string, number>; label: string }) {
  const entries = Object.entries(values);
  const rowH = 28;
  const labelW = 120;
  const width = 360;
  const barW = width - labelW - 60;
  const top = entries.reduce((best, e) => (e[1] > best[1] ? e : best), entries[0] ?? ['', 0]);
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${width} ${entries.length * rowH + 4}`}
      role="img"
      aria-label={`${label}: ${entries.map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(', ')}`}
    >
      {entries.map(([name, value], i) => (
        <g key={name} transform={`translate(0 ${i * rowH + 2})`}>
          <text x={labelW - 8} y={rowH / 2 + 4} text-anchor="end" class="axis">
            {name.length > 16 ? `${name.slice(0, 15)}…` : name}
          </text>
          <rect x={labelW} y={4} width={barW} height={rowH - 8} class="track" />
          <rect
            x={labelW}
            y={4}
            width={Math.max(1, barW * value)}
            height={rowH - 8}
            class={name === top[0] ? 'bar top' : 'bar'}
          />
          <text x={labelW + barW + 6} y={rowH / 2 + 4} class="axis">
            {(value * 100).toFixed(1)}%
          </text>
        </g>
      ))}
    </svg>
  );
}

export interface Series {
  readonly name: string;
  readonly points: readonly { x: number; y: number; note?: string }[];
}

const PALETTE = ['#1f5fad', '#b3471d', '#2e7d32', '#6a3d9a', '#8a6d00', '#00707a'];

/** Metric per version: one line per series, x = version number (versions are numbered in time order). */
export function LineChart({ series, label, xLabel }: { series: Series[]; label: string; xLabel: string }) {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return <p class="muted">No metrics to chart yet.</p>;
  const width = 320;
  const height = 180;
  const pad = { left: 48, right: 12, top: 12, bottom: 36 };
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 0.05, y1 + 0.05];
  const sx = (x: number) =>
    pad.left + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const sy = (y: number) => pad.top + (1 - (y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  const ticks = [y0, (y0 + y1) / 2, y1];
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  const step = Math.ceil(xTicks.length / 10);
  return (
    <figure class="linechart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} class="chart">
        {ticks.map((t) => (
          <g key={t}>
            <line x1={pad.left} x2={width - pad.right} y1={sy(t)} y2={sy(t)} class="grid" />
            <text x={pad.left - 6} y={sy(t) + 4} text-anchor="end" class="axis">
              {t.toPrecision(3)}
            </text>
          </g>
        ))}
        {xTicks
          .filter((_, i) => i % step === 0)
          .map((x) => (
            <text key={x} x={sx(x)} y={height - pad.bottom + 16} text-anchor="middle" class="axis">
              {x}
            </text>
          ))}
        <text x={(pad.left + width - pad.right) / 2} y={height - 4} text-anchor="middle" class="axis">
          {xLabel}
        </text>
        {series.map((s, i) => (
          <g key={s.name} stroke={PALETTE[i % PALETTE.length]} fill={PALETTE[i % PALETTE.length]}>
            <polyline
              fill="none"
              stroke-width="2"
              points={s.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')}
            />
            {s.points.map((p) => (
              <circle key={p.x} cx={sx(p.x)} cy={sy(p.y)} r="4">
                <title>{`${s.name} ${p.y.toPrecision(4)} at ${xLabel} ${p.x}${p.note ? `, ${p.note}` : ''}`}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <figcaption>
        {series.map((s, i) => (
          <span key={s.name} class="legend">
            <span class="swatch" style={{ background: PALETTE[i % PALETTE.length] }} aria-hidden="true" />
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
