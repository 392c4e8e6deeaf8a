// `trailmatch scan --format html` in headless Chromium: the bundled sample's report opens with no
// console error, makes no request (every request other than the report itself is counted and
// refused), and shows a chart with a threshold line for every alarm; a report whose rules and logs
// hold markup shows it as text and runs nothing.
//
// The reports are made by the CLI: $TRAILMATCH (the binary), else `cargo run -p trailmatch-cli`
// from the repository. Needs Debian's chromium at /usr/bin/chromium (or CHROMIUM=/path) and
// `npm ci` in bindings/wasm. Screenshots go to bindings/wasm/test-results/ (report.png, the whole
// page); UPDATE_SCREENSHOT=1 also refreshes the README's bindings/cli/report.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { serve } from './server.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const out = `${here}test-results`;
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

// As root, without a sandbox; no background traffic to Google's hosts on this closed network.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';

/** Runs `trailmatch ARGS` in `cwd`; gives its standard output. */
function trailmatch(args, cwd) {
  const [command, prefix] = process.env.TRAILMATCH
    ? [process.env.TRAILMATCH, []]
    : ['cargo', ['run', '--quiet', '--manifest-path', `${repo}Cargo.toml`, '-p', 'trailmatch-cli', '--bin', 'trailmatch', '--']];
  return execFileSync(command, [...prefix, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** Rules and a log whose names and fields are markup (as bindings/cli/tests/html.rs has them). */
function writeHostile(dir) {
  const quoted = IMG.replaceAll('"', '\\"');
  writeFileSync(
    join(dir, 'rules.toml'),
    `
[[metricFilters]]
filterName = '${SCRIPT}'
filterPattern = '{ $.eventName = "${SCRIPT}" || $.userAgent = "${quoted}" }'
metricTransformations = [{ metricName = 'M${IMG}', metricNamespace = 'N${SCRIPT}', metricValue = "1" }]

[[MetricAlarms]]
AlarmName = '${SCRIPT}'
AlarmDescription = '${IMG}'
MetricName = 'M${IMG}'
Namespace = 'N${SCRIPT}'
Statistic = "Sum"
Period = 60
EvaluationPeriods = 1
Threshold = 5
ComparisonOperator = "GreaterThanOrEqualToThreshold"
`,
  );
  const lines = [];
  const record = (minute, second, agent) =>
    JSON.stringify({
      eventVersion: '1.08',
      eventTime: `2026-11-23T${String(10 + Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:${String(second).padStart(2, '0')}Z`,
      eventSource: `${SCRIPT}.amazonaws.com`,
      eventName: SCRIPT,
      eventType: 'AwsApiCall',
      eventCategory: 'Management',
      managementEvent: true,
      readOnly: false,
      awsRegion: 'us-east-1',
      recipientAccountId: '111122223333',
      userAgent: agent,
    });
  for (let minute = 0; minute < 60; minute++) lines.push(record(minute, 0, 'cli'));
  for (let minute = 60; minute < 64; minute++) {
    for (let second = 0; second < 30; second++) lines.push(record(minute, second, IMG));
  }
  lines.push(`{"Records": ${IMG}`);
  mkdirSync(join(dir, 'logs'));
  writeFileSync(join(dir, 'logs', `${IMG.replaceAll('/', '_')}.jsonl`), lines.join('\n'));
}

let dir;
let server;
let browser;
let page;
let alarms;
const pageErrors = [];
const dialogs = [];
/** Every request the browser made other than for the report being tested. */
const refused = [];

describe('the HTML scan report in headless Chromium', { timeout: 300_000 }, () => {
  before(async () => {
    assert.ok(existsSync(executablePath), `no Chromium at ${executablePath}`);
    mkdirSync(out, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'trailmatch-report-'));
    trailmatch(['scan', '--format', 'html', '-o', 'report.html'], dir);
    alarms = JSON.parse(trailmatch(['scan', '--format', 'json'], dir)).alarms;
    writeHostile(dir);
    trailmatch(
      ['scan', '--format', 'html', '-o', 'hostile.html', '--rules', 'rules.toml', '--insights-min-history', '30', 'logs'],
      dir,
    );
    server = await serve(dir);
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({ viewport: { width: 1100, height: 1400 } });
    // The report is the only thing that may be fetched: anything else is counted and refused.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url === `${server.url}report.html` || url === `${server.url}hostile.html`) {
        return route.continue();
      }
      refused.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') {
        pageErrors.push(message.text());
      }
    });
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the sample report opens with no error and no request but its own', async () => {
    await page.goto(`${server.url}report.html`, { waitUntil: 'load' });
    await page.waitForLoadState('networkidle');
    assert.equal(await page.title(), 'trailmatch scan report');
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(refused, []);
    assert.deepEqual(server.requests, ['/report.html']);
  });

  test('every alarm of the sample has a chart with its threshold line', async () => {
    assert.equal(alarms.length, 15);
    const shown = await page.$$eval('article.alarm', (articles) =>
      articles.map((article) => {
        const charts = article.querySelectorAll('svg.chart');
        const threshold = article.querySelector('svg.chart g.threshold polyline');
        const box = threshold?.getBoundingClientRect();
        const svg = charts[0]?.getBoundingClientRect();
        return {
          name: article.querySelector('h3').firstChild.textContent.trim(),
          charts: charts.length,
          threshold: Boolean(threshold),
          // Drawn across the chart, not squeezed to nothing.
          thresholdWidth: box ? box.width : 0,
          chartWidth: svg ? svg.width : 0,
          chartHeight: svg ? svg.height : 0,
          alarmShading: article.querySelectorAll('g.alarm-periods rect').length,
          transitions: article.querySelectorAll('g.transitions polyline').length,
        };
      }),
    );
    assert.deepEqual(
      shown.map((s) => s.name),
      alarms.map((a) => a.name),
    );
    for (const [i, s] of shown.entries()) {
      assert.equal(s.charts, 1, s.name);
      assert.ok(s.threshold, `${s.name}: threshold line`);
      assert.ok(s.chartWidth > 600 && s.chartHeight > 150, `${s.name}: chart ${s.chartWidth}x${s.chartHeight}`);
      assert.ok(s.thresholdWidth > s.chartWidth * 0.8, `${s.name}: threshold ${s.thresholdWidth} of ${s.chartWidth}`);
      const transitions = alarms[i].transitions;
      assert.equal(s.transitions, transitions.length, s.name);
      assert.equal(s.alarmShading, transitions.filter((t) => t.to === 'ALARM').length, s.name);
    }
    assert.equal(shown.filter((s) => s.alarmShading > 0).length, 4, 'the four incidents');
    // Every anomaly has its chart with the baseline band.
    const anomalies = await page.$$eval('article.anomaly', (articles) =>
      articles.map((a) => a.querySelectorAll('svg.chart g.band rect, svg.chart g.rate polyline').length),
    );
    assert.deepEqual(anomalies, [2, 2, 2]);
  });

  test('screenshot of the sample report', async () => {
    await page.screenshot({ path: `${out}/report.png`, fullPage: true });
    // The README's: the top of the page, the first alarms.
    await page.screenshot({ path: `${out}/report-top.png`, clip: { x: 0, y: 0, width: 1100, height: 1300 } });
    if (process.env.UPDATE_SCREENSHOT === '1') {
      copyFileSync(`${out}/report-top.png`, `${repo}bindings/cli/report.png`);
    }
  });

  test('markup from the rules and the logs shows as text and runs nothing', async () => {
    await page.goto(`${server.url}hostile.html`, { waitUntil: 'load' });
    await page.waitForLoadState('networkidle');
    const found = await page.evaluate(() => ({
      elements: document.querySelectorAll('script, img, iframe, object, embed').length,
      handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
      alarm: document.querySelector('article.alarm h3').firstChild.textContent.trim(),
      description: document.querySelector('article.alarm p.description').textContent,
      text: document.body.textContent,
      charts: document.querySelectorAll('article.alarm svg.chart g.threshold polyline').length,
    }));
    assert.equal(found.elements, 0);
    assert.equal(found.handlers, 0);
    assert.equal(found.alarm, SCRIPT);
    assert.equal(found.description, IMG);
    assert.ok(found.text.includes(`${SCRIPT}.amazonaws.com ${SCRIPT}`), 'the anomaly names the API');
    assert.ok(found.text.includes(`${IMG}.jsonl`), 'the skipped line names the file');
    assert.equal(found.charts, 1);
    await page.screenshot({ path: `${out}/report-hostile.png` });
    assert.deepEqual(dialogs, []);
  });

  test('no errors, and no request other than the reports themselves', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(refused, []);
    assert.deepEqual(server.requests, ['/report.html', '/hostile.html']);
  });
});
