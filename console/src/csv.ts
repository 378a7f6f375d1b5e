/**
 * Rows to score from pasted or uploaded CSV: a header naming the model's features (any order,
 * extra columns ignored) or no header (values in the model's feature order). Quoted fields with
 * commas are handled; the server validates the numbers again.
 */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cell);
      cell = '';
    } else cell += c;
  }
  out.push(cell);
  return out.map((s) => s.trim());
}

export function rowsFromCsv(text: string, features: readonly string[]): number[][] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('The CSV is empty.');
  const first = splitCsvLine(lines[0]!);
  const hasHeader = first.some((cell) => cell !== '' && Number.isNaN(Number(cell)));
  let order = features.map((_, i) => i);
  if (hasHeader) {
    const missing = features.filter((f) => !first.includes(f));
    if (missing.length > 0)
      throw new Error(`The header lacks the model's feature(s): ${missing.join(', ')}.`);
    order = features.map((f) => first.indexOf(f));
  }
  const body = hasHeader ? lines.slice(1) : lines;
  if (body.length === 0) throw new Error('The CSV has a header but no rows.');
  return body.map((line, i) => {
    const cells = splitCsvLine(line);
    return order.map((j, k) => {
      const value = Number(cells[j]);
      if (cells[j] === undefined || cells[j] === '' || !Number.isFinite(value)) {
        throw new Error(
          `Line ${i + (hasHeader ? 2 : 1)}: "${features[k]}" is not a number (${cells[j] ?? 'missing'}).`,
        );
      }
      return value;
    });
  });
}

/** The header row of a CSV file (its columns), for picking the target column before training. */
export function headerOf(text: string): string[] {
  const line = text.slice(0, text.search(/\r?\n|$/));
  return splitCsvLine(line).filter(Boolean);
}
