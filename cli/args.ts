import { UsageError } from './errors.js';

/** Positional argument `index`, named in the error when it is missing. */
export function positional(
  args: { positionals: readonly string[] },
  index: number,
  name: string,
  usage: string,
): string {
  const value = args.positionals[index];
  if (value === undefined || value === '') throw new UsageError(`missing <${name}>; usage: mlops ${usage}`);
  return value;
}

export function integer(
  value: string | undefined,
  name: string,
  range: { min: number; max?: number },
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < range.min || (range.max !== undefined && n > range.max)) {
    const bound = range.max === undefined ? `≥ ${range.min}` : `from ${range.min} to ${range.max}`;
    throw new UsageError(`${name} must be an integer ${bound}, got "${value}"`);
  }
  return n;
}

export function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`${name} must be a number, got "${value}"`);
  return n;
}

export function choice<T extends string>(
  value: string | undefined,
  name: string,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T))
    throw new UsageError(`${name} must be one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}

/** `key=value` pairs (repeatable flag); numbers and booleans are typed. */
export function keyValues(
  values: readonly string[] | undefined,
  name: string,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const pair of values ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`${name} takes key=value, got "${pair}"`);
    const key = pair.slice(0, at);
    const raw = pair.slice(at + 1);
    out[key] =
      raw === 'true'
        ? true
        : raw === 'false'
          ? false
          : raw.trim() !== '' && Number.isFinite(Number(raw))
            ? Number(raw)
            : raw;
  }
  return out;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined);
