import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ensureConsoleBuilt } from '../../console/build.js';
import { OPERATOR } from '../../core/auth/service.js';
import { TokenIssuer } from '../../core/auth/tokens.js';
import { s3Client } from '../../core/aws/clients.js';
import { ENV } from '../../core/config/env.js';
import { ARTIFACT_BUCKET } from '../../core/config/tables.js';
import { tokenSettings } from '../../core/services/auth.js';
import { authService, keyRing, registryService } from '../../core/services/index.js';
import type { RegisteredOutcome } from '../../core/training/service.js';
import {
  allowConsoleUploads,
  CONSOLE_PATH,
  consoleRoute,
  loopbackOrigins,
} from '../../local/console-route.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { type LocalServer, startLocalServer } from '../../local/server.js';
import { trainIris } from '../api/fixtures.js';

/**
 * The console in a real browser: playwright-core driving Debian's Chromium (one launch for the
 * file) against the local server and emulators, through every flow a new user takes. Screenshots
 * go to test-output/console/. Skipped (with a message) only when Chromium is absent and CI is not
 * set; in CI a missing Chromium fails.
 */
// Browser globals inside page.evaluate callbacks (this file compiles without the DOM lib).
// biome-ignore lint/suspicious/noExplicitAny: typed by the browser, not by this program
declare const window: any, document: any, sessionStorage: any;
type Document = unknown;

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SHOTS = resolve('test-output/console');
if (!hasChromium && !process.env['CI']) {
  console.warn(`console browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
}
const suite = hasChromium || process.env['CI'] ? describe : describe.skip;

const ADMIN = { username: 'ada', password: 'analytical-engine-1843' };
let runtime: LocalRuntime;
let server: LocalServer;
let context: BrowserContext;
let page: Page;
let profile: string;
let first: RegisteredOutcome;
let second: RegisteredOutcome;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const go = async (hash: string) => {
  await page.goto(`${server.url}${CONSOLE_PATH}/#/${hash}`);
};

/** axe-core on the current page: no serious or critical violation. */
async function expectAccessible(label: string) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource); // CDP evaluation: the page's CSP (no inline scripts) stays on
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            ctx: Document,
            o: object,
          ) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3),
    }));
  });
  expect({
    label,
    violations: violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
  }).toEqual({
    label,
    violations: [],
  });
}

async function signIn(username: string, password: string) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

suite('web console in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    runtime = await startLocalRuntime({
      ephemeral: true,
      env: { [ENV.modelRefreshSeconds]: '0', [ENV.allowSelfRegistration]: 'true' },
    });
    const build = ensureConsoleBuilt();
    server = await startLocalServer({
      port: 0,
      prefixRoutes: { [CONSOLE_PATH]: consoleRoute(build.dir, { s3Endpoint: runtime.env[ENV.s3Endpoint] }) },
    });
    await allowConsoleUploads(s3Client(), ARTIFACT_BUCKET.localName, loopbackOrigins(server.url));
    first = await trainIris('iris', { seed: 1 });
    second = await trainIris('iris', { seed: 7 });
    await authService().register({ ...ADMIN, role: 'admin' }, OPERATOR);
    profile = mkdtempSync(join(tmpdir(), 'mlops-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
    await runtime?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('signs in (a wrong password says so) and serves the app under a strict CSP', async () => {
    const res = await page.goto(`${server.url}${CONSOLE_PATH}/`);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await expectAccessible('sign-in');
    await signIn(ADMIN.username, 'not-the-password');
    await page.getByText('Wrong username or password.').waitFor();
    await shot('01-wrong-password');
    await signIn(ADMIN.username, ADMIN.password);
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    expect(await page.getByRole('link', { name: 'Models' }).isVisible()).toBe(true);
    expect(errors.filter((e) => /Content Security Policy/.test(e))).toEqual([]);
  });

  it('predicts with the form generated from the feature schema and baseline examples', async () => {
    await go('predict');
    const field = page.getByLabel('petal length (cm)');
    await field.waitFor();
    expect(Number(await field.inputValue())).toBeGreaterThan(0); // an example from baseline.json
    await page.getByRole('button', { name: 'Predict', exact: true }).click();
    await page.getByRole('heading', { name: /^Class:/ }).waitFor();
    const production = (await registryService().requireModel('iris')).aliases['production'];
    expect(await page.getByTestId('served-version').textContent()).toBe(String(production));
    expect(await page.locator('svg[role=img][aria-label^="Probability per class"]').count()).toBe(1);
    await expectAccessible('predict');
    await shot('02-predict');
  });

  it('uploads a CSV, refuses a non-CSV, trains and links to the new version', async () => {
    await go('train');
    await page.getByLabel('Upload a CSV').check();
    await page
      .getByLabel(/CSV file/)
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hi') });
    await page.getByText('notes.txt is not a .csv file.').waitFor();
    const rows = [
      'x1,x2,kind',
      ...Array.from({ length: 60 }, (_, i) => `${i % 10},${(i * 7) % 11},${i % 10 < 5 ? 'low' : 'high'}`),
    ];
    await page.getByLabel(/CSV file/).setInputFiles({
      name: 'blobs.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${rows.join('\n')}\n`),
    });
    await page.getByText(/Uploaded as s3:\/\//).waitFor();
    expect(await page.getByLabel('Target (label) column').inputValue()).toBe('kind');
    await expectAccessible('train');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.getByRole('link', { name: 'blobs v1' }).waitFor({ timeout: 30_000 });
    await shot('03-upload-train');
    await page.getByRole('link', { name: 'blobs v1' }).click();
    await page.getByRole('heading', { name: 'Model blobs' }).waitFor();
  });

  it('promotes a version behind a confirmation, and /predict follows', async () => {
    const production = (await registryService().requireModel('iris')).aliases['production'];
    const other = production === first.version.version ? second.version.version : first.version.version;
    await go('models/iris');
    await page.getByRole('img', { name: 'accuracy of iris per version', exact: true }).waitFor();
    await page.getByRole('button', { name: `Promote v${other}` }).click();
    const dialog = page.getByRole('dialog');
    await expectAccessible('promote dialog');
    await shot('04-promote-confirm');
    await dialog.getByRole('button', { name: 'Promote' }).click();
    await page.getByText(`iris v${other} is now production`).waitFor();
    expect((await registryService().requireModel('iris')).aliases['production']).toBe(other);
    await go('predict');
    await page.getByRole('button', { name: 'Predict', exact: true }).click();
    await page
      .getByTestId('served-version')
      .filter({ hasText: String(other) })
      .waitFor();
    await shot('05-predict-follows');
  });

  it('lists runs, compares two side by side, and shows a run with its artifacts', async () => {
    await go('runs?experiment=iris');
    await page.getByLabel(`select run ${first.run.runId}`).check();
    await page.getByLabel(`select run ${second.run.runId}`).check();
    await expectAccessible('runs');
    await page.getByRole('button', { name: 'Compare selected (2)' }).click();
    await page.getByRole('heading', { name: 'Compare 2 runs' }).waitFor();
    // The two runs differ in seed only: that row is marked, the algorithm's is not.
    await page.locator('tr.diff', { hasText: 'seed' }).waitFor();
    expect(await page.locator('tr.diff').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('tr:not(.diff)', { hasText: 'test_size' }).count()).toBe(1);
    await page.locator('.matrices img').nth(1).waitFor();
    await expectAccessible('compare');
    await shot('06-compare');
    await go(`run/${first.run.runId}`);
    const matrix = page.getByRole('img', { name: `Confusion matrix of run ${first.run.runId}` });
    await matrix.waitFor();
    await page.waitForFunction(() => document.querySelector('img.artifact')?.naturalWidth > 0);
    await page.getByRole('heading', { name: 'Model card' }).waitFor();
    await expectAccessible('run');
    await shot('07-run-artifacts');
  });

  it('fits 320 px without sideways scrolling and works from the keyboard', async () => {
    await page.setViewportSize({ width: 320, height: 700 });
    for (const hash of ['predict', 'runs?experiment=iris', 'models/iris']) {
      await go(hash);
      await page.locator('main h1').waitFor();
      await page.waitForLoadState('networkidle');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect({ hash, width }).toEqual({ hash, width: 320 });
    }
    await shot('08-narrow-320');
    await page.setViewportSize({ width: 1280, height: 900 });
    await go('predict');
    await page.reload();
    await page.locator('main h1').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    // A promotion dialog opens and cancels with the keyboard alone.
    await go('models/iris');
    const promote = page.locator('button:not([disabled])', { hasText: /^Promote v/ }).first();
    await promote.waitFor();
    await promote.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
  });

  it('a user without the admin role sees no admin pages or buttons, and the API still refuses', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Create one' }).click();
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Password').fill('through-the-looking-glass');
    await page.getByRole('button', { name: 'Create account and sign in' }).click();
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    expect(await page.getByRole('link', { name: 'Models' }).count()).toBe(0);
    await go('models/iris');
    await page.getByText('This page needs the admin role.').waitFor();
    expect(await page.getByRole('button', { name: /^Promote/ }).count()).toBe(0);
    const status = await page.evaluate(async () => {
      const token = JSON.parse(sessionStorage.getItem('mlops.session')!).token;
      const res = await fetch('/models/iris/promote', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ version: 1 }),
      });
      return res.status;
    });
    expect(status).toBe(403);
    await go('health');
    await page.getByRole('heading', { name: 'Served model' }).waitFor();
    await expectAccessible('health');
    await shot('09-user-health');
  });

  it('an expired token mid-session returns to sign-in and back to the same page', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(ADMIN.username, ADMIN.password);
    await go('runs?experiment=iris');
    await page.getByRole('table').first().waitFor();
    // Signed with the real key, expired a minute ago (the authorizer allows 5 s of skew).
    const expired = await new TokenIssuer(keyRing(), { ...tokenSettings(), ttlSeconds: -60 }).issue(
      { username: ADMIN.username, role: 'admin' },
      0,
    );
    await page.evaluate((token) => {
      const s = JSON.parse(sessionStorage.getItem('mlops.session')!);
      sessionStorage.setItem('mlops.session', JSON.stringify({ ...s, token }));
    }, expired.access_token);
    await page.getByLabel('Status').selectOption('FINISHED'); // local filter: no request
    await page.getByRole('link', { name: first.run.runId.slice(0, 8) }).click();
    await page.getByText('Your session expired. Sign in again to continue where you were.').waitFor();
    await shot('10-session-expired');
    expect(page.url()).toContain(`#/run/${first.run.runId}`);
    await signIn(ADMIN.username, ADMIN.password);
    await page.getByRole('heading', { name: `Run ${first.run.runId.slice(0, 8)}` }).waitFor();
  });

  it('says what happened and how to recover when the API is down', async () => {
    await go('health');
    await page.getByRole('heading', { name: 'Served model' }).waitFor();
    await server.close();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page
      .getByText(/Cannot reach the API/)
      .first()
      .waitFor();
    await page
      .getByText(/Check that the API is running \(npm start locally\)/)
      .first()
      .waitFor();
    await shot('11-api-down');
  });
});
