import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { expect, test } from 'distzero/test';
import { childEnvironment } from 'distzero/tools';

const CHROMIUM = '/usr/bin/chromium';
const REPORT = path.resolve('.tmp/example-report/index.html');

test.describe('the HTML report tells the story', () => {
  test('a failing simulated test shows its sequence diagram, merged log and replay command', { tag: '@simulated' }, async () => {
    test.setTimeout(120_000);
    test.skip(!fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} to read the report with (apt-get install chromium)`);
    // The deliberately failing example, in a run of its own with its own report.
    const run = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '-c', 'examples'], { encoding: 'utf8', env: childEnvironment({}) });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout + run.stderr).toContain('1 failed');
    expect(fs.existsSync(REPORT)).toBe(true);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`file://${REPORT}`);
      await expect(page.getByText('Failed').first()).toBeVisible();
      await page.getByText('a deliberately failing sum').first().click();
      // The diagram is an image attachment the report renders inline; it is an SVG of the run.
      const link = page.getByRole('link', { name: 'sequence-diagram.svg' });
      await expect(link).toBeVisible();
      await expect(page.locator('img[src$=".svg"]').first()).toBeVisible();
      const href = await link.getAttribute('href');
      const svg = fs.readFileSync(fileURLToPath(new URL(href!, page.url())), 'utf8');
      expect(svg).toContain('<svg');
      expect(svg).toContain('increment amount=2');
      expect(svg).toContain('set_total');
      // The test's requests, with what they asked, and their answers.
      expect(svg).toMatch(/>start_node \w+ \S+</);
      expect(svg).toContain('>↩ ok ');
      // The merged log and the replay command are attachments too.
      await expect(page.getByText('merged-log.txt')).toBeVisible();
      await expect(page.getByText('replay').first()).toBeVisible();
      await page.getByText('merged-log.txt').click();
      await expect(page.getByText('node started').first()).toBeVisible();
      // Each line at the simulation's time, which the diagram's and the history's times are in.
      await expect(page.getByText(/\d+(\.\d+)? virtual ms \[[^\]]+\] node started/).first()).toBeVisible();
      await page.getByText('replay', { exact: true }).click();
      await expect(page.getByText(/SIM_SEED=\d+ npx playwright test -c 'examples\/playwright\.config\.ts' --project=simulated 'examples\/failing-sum\.spec\.ts:\d+'/).first()).toBeVisible();
    } finally {
      await browser.close();
    }
  });
});
