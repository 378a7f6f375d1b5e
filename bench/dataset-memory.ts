/**
 * How much memory parsing a training CSV takes, per byte of CSV: the figure behind
 * PEAK_BYTES_PER_CSV_BYTE (core/datasets/memory-estimate.ts), which the train function uses to
 * refuse a dataset before reading it.
 *
 * Each size runs in a fresh process (peak RSS is per process): it reads the file, parses it with
 * the same parser the train function uses, and reports its peak resident set size. The slope
 * between sizes is the per-byte cost; the intercept is the process's own footprint.
 *
 * Usage: npm run bench:dataset-memory [-- --sizes 16,64,128]   (MB of CSV)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PEAK_BYTES_PER_CSV_BYTE } from '../core/datasets/memory-estimate.js';
import { parseDataset } from '../training/index.js';

const MB = 1024 * 1024;

/** A numeric CSV like the built-in ones (10 float features, a 3-class label), of about `bytes`. */
function numericCsv(bytes: number): string {
  const header = `${Array.from({ length: 10 }, (_, i) => `f${i}`).join(',')},label\n`;
  const lines: string[] = [header];
  let size = header.length;
  let seed = 1;
  const rand = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  while (size < bytes) {
    const row = `${Array.from({ length: 10 }, () => (rand() * 100).toFixed(3)).join(',')},c${Math.floor(rand() * 3)}\n`;
    lines.push(row);
    size += row.length;
  }
  return lines.join('');
}

if (process.argv[2] === '--child') {
  const file = process.argv[3]!;
  const dataset = parseDataset(readFileSync(file), { target: 'label', name: 'bench' });
  process.stdout.write(
    JSON.stringify({ rows: dataset.rows, maxRssBytes: process.resourceUsage().maxRSS * 1024 }),
  );
  process.exit(0);
}

const sizesArg = process.argv.indexOf('--sizes');
const sizes = (sizesArg > 0 ? process.argv[sizesArg + 1]! : '16,64,128').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'dataset-memory-'));
const results: { csvBytes: number; rows: number; peak: number }[] = [];
try {
  for (const size of sizes) {
    const file = join(dir, `${size}.csv`);
    writeFileSync(file, numericCsv(size * MB));
    const csvBytes = readFileSync(file).byteLength;
    const out = execFileSync(process.execPath, [...process.execArgv, import.meta.filename, '--child', file], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    const { rows, maxRssBytes } = JSON.parse(out) as { rows: number; maxRssBytes: number };
    results.push({ csvBytes, rows, peak: maxRssBytes });
    rmSync(file);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log('| CSV | rows | peak RSS | peak / CSV bytes |');
console.log('|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${(r.csvBytes / MB).toFixed(1)} MB | ${r.rows.toLocaleString('en')} | ${(r.peak / MB).toFixed(0)} MB | ${(r.peak / r.csvBytes).toFixed(1)} |`,
  );
}
const first = results[0]!;
const last = results.at(-1)!;
const slope = (last.peak - first.peak) / (last.csvBytes - first.csvBytes);
console.log(
  `\nslope ${slope.toFixed(1)} bytes of peak memory per CSV byte between ${(first.csvBytes / MB).toFixed(0)} and ${(last.csvBytes / MB).toFixed(0)} MB ` +
    `(PEAK_BYTES_PER_CSV_BYTE = ${PEAK_BYTES_PER_CSV_BYTE}); node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
);
