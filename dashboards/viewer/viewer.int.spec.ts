/**
 * The built-in viewer in real headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core) against a real service with the seed scenario
 * loaded: the seed figures on screen, a filter that changes them, the English
 * switch, no console errors. The screenshots go to test-artifacts/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { seedScenario } from '../../ingest/simulator/index.ts';
import { cstDayOf } from '../../ingest/simulator/time.ts';
import { startService, type RunningService } from '../../service/server.ts';
import { projectRoot, tempDir, testConfig } from '../../test-support/temp.ts';
import { overview } from '../definitions/index.ts';
import { formatChineseUnits } from '../units.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(projectRoot, 'test-artifacts');
const available = existsSync(CHROMIUM);
if (!available) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: CI installs the Debian chromium package (.ci/run)`);
  console.warn(`\n  SKIPPED: the viewer's browser test needs ${CHROMIUM} (apt-get install chromium)\n`);
}

const seed = [...seedScenario()];

/** Every panel has answered, none with an error. */
async function panelsReady(page: Page) {
  await page.waitForFunction(
    () => {
      const panels = [...document.querySelectorAll<HTMLElement>('[data-panel]')];
      return panels.length > 0 && panels.every((p) => p.dataset.state === 'ready' || p.dataset.state === 'error');
    },
    null,
    { timeout: 30_000 },
  );
  const failed = await page.$$eval('[data-panel][data-state="error"]', (panels) => panels.map((p) => `${(p as HTMLElement).dataset.panel}: ${p.textContent}`));
  assert.deepEqual(failed, [], 'no panel failed');
}

const statText = (page: Page, id: number) => page.locator(`[data-panel="${id}"] .stat-value`).textContent();

describe('the built-in viewer in Chromium', { skip: !available && `${CHROMIUM} is not installed` }, () => {
  const tmp = tempDir();
  let service: RunningService;
  let browser: Browser;
  let token: string;

  before(async () => {
    // Tokens enforced, as `continuity demo` runs: the page gets the local token in its URL.
    service = await startService(testConfig(tmp.dir), { localTokenOnly: true });
    token = service.auth.localToken!;
    for (let i = 0; i < seed.length; i += 5000) await service.pipeline.ingestor.ingestEvents(seed.slice(i, i + 5000));
    await service.processors.untilIdle();
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    await service?.close();
    tmp.cleanup();
  });

  it('asks for a token when the service needs one', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${service.url}/`);
      await page.locator('#token-form').waitFor({ state: 'visible' });
      await page.fill('#token', token);
      await page.click('#token-form button');
      await panelsReady(page);
      assert.equal(await statText(page, 1), '116.95万');
    } finally {
      await page.close();
    }
  });

  it('shows the seed figures, changes them for one org, switches to English, with no console error', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    try {
      await page.goto(`${service.url}/#token=${token}`);
      await panelsReady(page);
      assert.equal(await page.locator('h1').textContent(), overview.title.zh);
      const text = (await page.locator('#grid').textContent()) ?? '';
      assert.ok(text.includes('116.95万'), 'suspension waived, 116.95万, on the page');
      assert.ok(text.includes('94万'), 'online payments, 94万, on the page');
      assert.ok(text.includes('17.48亿'), 'deferrals, 17.48亿, on the page');
      assert.equal(await statText(page, 7), '94万');
      // Every chart was drawn by ECharts on a canvas.
      const canvases = await page.locator('.panel-timeseries canvas, .panel-barchart canvas').count();
      assert.ok(canvases >= overview.panels.filter((p) => p.kind === 'timeseries' || p.kind === 'barchart').length, `${canvases} chart canvases`);
      await page.screenshot({ path: join(ARTIFACTS, 'viewer-overview.png'), fullPage: true });

      // One org: China Mobile's share of the telecom figure, and no State Grid payments.
      const mobile = seed
        .filter((e) => e.type === 'suspension.waived' && e.org === 'china-mobile' && cstDayOf(e.occurred_at) <= '2020-02-29')
        .reduce((s, e) => s + e.quantity, 0);
      await page.selectOption('#var-org', 'china-mobile');
      await page.waitForFunction((expected) => document.querySelector('[data-panel="1"] .stat-value')?.textContent === expected, formatChineseUnits(mobile), { timeout: 30_000 });
      await panelsReady(page);
      assert.equal(await statText(page, 1), formatChineseUnits(mobile));
      assert.notEqual(formatChineseUnits(mobile), '116.95万');
      assert.equal(await statText(page, 7), '0');
      assert.match(page.url(), /org=china-mobile/);
      await page.screenshot({ path: join(ARTIFACTS, 'viewer-overview-china-mobile.png'), fullPage: true });

      await page.click('[data-lang="en"]');
      assert.equal(await page.locator('h1').textContent(), overview.title.en);
      assert.equal(await page.locator('[data-panel="1"] h2').textContent(), 'Suspension waived (telecom)');
      assert.equal(await statText(page, 1), formatChineseUnits(mobile));

      await page.click('nav a[data-uid="continuity-pipeline"]');
      await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Pipeline health');
      await panelsReady(page);
      assert.equal(await statText(page, 1), formatChineseUnits(seed.length), 'every seed event loaded in the last 6 hours');
      assert.deepEqual(problems, [], 'no console errors or warnings');
    } finally {
      await page.close();
    }
  });
});
