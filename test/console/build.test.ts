import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_JS_BUDGET_GZIP_BYTES, consoleJsSizes, ensureConsoleBuilt } from '../../console/build.js';
import { API_TYPES_FILE, generateApiTypes } from '../../scripts/console-api-types.js';

/** The console's build: up to date types, a strict-CSP-friendly page, and its JS budget. */
describe('console build', () => {
  it('has API types generated from the current OpenAPI document (npm run console:api)', async () => {
    expect(readFileSync(API_TYPES_FILE, 'utf8')).toBe(await generateApiTypes());
  });

  it('builds once per source change, into a page with no inline script or style', () => {
    const build = ensureConsoleBuilt();
    expect(ensureConsoleBuilt()).toEqual({ ...build, rebuilt: false });
    const html = readFileSync(join(build.dir, 'index.html'), 'utf8');
    expect(html).toContain('<script type="module" src="app.js"></script>');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is a file
    expect(html).not.toMatch(/<style|style="/);
    expect(html).not.toMatch(/https?:\/\//); // no CDN: everything from the console's own origin
  });

  it(`keeps its JavaScript under ${CONSOLE_JS_BUDGET_GZIP_BYTES / 1024} KB gzipped, with no network at run time`, () => {
    expect(consoleJsSizes().gzipped).toBeLessThan(CONSOLE_JS_BUDGET_GZIP_BYTES);
    const js = readFileSync(join(ensureConsoleBuilt().dir, 'app.js'));
    expect(js.toString()).not.toMatch(/\bimport\s*\(\s*["']https?:/);
  });
});
