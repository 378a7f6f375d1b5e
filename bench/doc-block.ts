import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Replaces what lies between the bench markers of a Markdown file with a fresh report, leaving
 * the hand-written text around it (what the figures mean, what was changed) as it is. A named
 * block (`<!-- bench:<name>:start -->`) lets several benches share one document.
 */
export function writeBenchBlock(doc: string, report: string, name?: string): void {
  const start = name ? `<!-- bench:${name}:start -->` : '<!-- bench:start -->';
  const end = name ? `<!-- bench:${name}:end -->` : '<!-- bench:end -->';
  const text = readFileSync(doc, 'utf8');
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${doc} lacks the ${start} / ${end} markers`);
  writeFileSync(doc, `${text.slice(0, i + start.length)}\n${report}\n${text.slice(j)}`);
}
