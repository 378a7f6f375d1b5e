import { readFileSync, writeFileSync } from 'node:fs';

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/**
 * Replaces what lies between the bench markers of a Markdown file with a fresh report, leaving
 * the hand-written text around it (what the figures mean, what was changed) as it is.
 */
export function writeBenchBlock(doc: string, report: string): void {
  const text = readFileSync(doc, 'utf8');
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  if (i < 0 || j < i) throw new Error(`${doc} lacks the ${START} / ${END} markers`);
  writeFileSync(doc, `${text.slice(0, i + START.length)}\n${report}\n${text.slice(j)}`);
}
