// End-to-end test of the built tester (bindings/wasm/dist/, from build.sh) in headless Chromium:
// a local server on 127.0.0.1 serves dist/, and Playwright types into the page as a person would.
//
// Needs Debian's chromium at /usr/bin/chromium (or CHROMIUM=/path) and `npm ci` in bindings/wasm.
// Screenshots go to bindings/wasm/test-results/; UPDATE_SCREENSHOT=1 also refreshes the README's
// bindings/wasm/screenshot.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { examples } from '../www/examples.js';
import { serve } from './server.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const dist = `${here}dist`;
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

const APACHE = [
  '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534',
  '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /images/cde2.gif HTTP/1.0" 200 3256',
  '127.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] "GET /secret HTTP/1.0" 401 77',
];

let server;
let browser;
let page;
const pageErrors = [];
const offsite = [];

/** Waits until the page shows the answer for its current input. */
async function settled() {
  await page.waitForFunction(() => document.body.dataset.state === 'idle', null, { timeout: 30_000 });
}

/** `data-match` of every result, in order. */
function marks() {
  return page.$$eval('#results [data-event-index]', (items) =>
    items.map((item) => [Number(item.dataset.eventIndex), item.dataset.match]),
  );
}

function expectMarks(list) {
  return list.map((match, index) => [index, String(match)]);
}

/** Types into a box as a person does: clear it, then key by key. */
async function typeInto(selector, text) {
  const box = page.locator(selector);
  await box.fill('');
  await box.pressSequentially(text, { delay: 2 });
  await settled();
}

/** Sets a box at once (a paste), firing its input event. */
async function paste(selector, text) {
  await page.locator(selector).fill(text);
  await settled();
}

describe('the pattern tester in headless Chromium', { timeout: 180_000 }, () => {
  before(async () => {
    assert.ok(existsSync(`${dist}/index.html`), 'build the page first: bash bindings/wasm/build.sh');
    assert.ok(existsSync(executablePath), `no Chromium at ${executablePath}`);
    mkdirSync(out, { recursive: true });
    server = await serve(dist);
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    // Offline: anything not from the local server is refused, and recorded.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(server.url) || url.startsWith('data:') || url.startsWith('blob:')) {
        return route.continue();
      }
      offsite.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') {
        pageErrors.push(message.text());
      }
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('loads from the local server alone and starts the engine', async () => {
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('version').textContent.startsWith('trailmatch '));
    await settled();
    const version = await page.textContent('#version');
    const expected = readFileSync(`${here}../../Cargo.toml`, 'utf8').match(/^version = "(.+)"/m)[1];
    assert.equal(version, `trailmatch ${expected} (WebAssembly)`);
    assert.ok(server.requests.includes('/trailmatch_wasm_bg.wasm'), 'the engine was loaded');
    assert.ok(server.requests.includes('/worker.js'), 'the worker was loaded');
    assert.deepEqual(offsite, []);
  });

  test('a fresh page opens on the first CIS example, marked', async () => {
    assert.match(await page.inputValue('#pattern'), /UnauthorizedOperation/);
    assert.deepEqual(await marks(), expectMarks([true, true, false, true, false]));
    assert.equal(await page.textContent('#error'), '');
    assert.match(await page.textContent('#summary'), /^3 of 5 events match · /);
  });

  test('typing a pattern and events marks each event, with its extracted values', async () => {
    await typeInto('#pattern', '[ip, user, username, timestamp, request, status_code = 4*, bytes]');
    await paste('#events', APACHE.join('\n'));
    assert.deepEqual(await marks(), expectMarks([true, false, true]));
    const values = await page.$$eval('[data-event-index="0"] .extracted dt, [data-event-index="0"] .extracted dd', (cells) =>
      cells.map((c) => c.textContent),
    );
    assert.deepEqual(values.slice(10, 14), ['$status_code', '404', '$bytes', '1534']);
    assert.equal(await page.$$eval('[data-event-index="1"] .extracted', (l) => l.length), 0);
    assert.match(await page.textContent('#status'), /Valid space-delimited pattern/);
  });

  test('results follow the typing (debounced)', async () => {
    await typeInto('#pattern', '[ip, user, username, timestamp, request, status_code = 2*, bytes]');
    assert.deepEqual(await marks(), expectMarks([false, true, false]));
    await typeInto('#events', `${APACHE[1]}\n${APACHE[1]}`);
    assert.deepEqual(await marks(), expectMarks([true, true]));
  });

  test('a JSON pattern says which conditions held', async () => {
    await typeInto('#pattern', '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }');
    await paste(
      '#events',
      [
        '{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"}}',
        '{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"Yes"}}',
        'not JSON',
      ].join('\n'),
    );
    assert.deepEqual(await marks(), expectMarks([true, false, false]));
    const held = (i) =>
      page.$$eval(`[data-event-index="${i}"] .conditions li`, (items) =>
        items.map((li) => [li.querySelector('code').textContent, li.dataset.holds]),
      );
    assert.deepEqual(await held(0), [
      ['$.eventName = "ConsoleLogin"', 'true'],
      ['$.additionalEventData.MFAUsed != "Yes"', 'true'],
    ]);
    assert.deepEqual(await held(1), [
      ['$.eventName = "ConsoleLogin"', 'true'],
      ['$.additionalEventData.MFAUsed != "Yes"', 'false'],
    ]);
    assert.match(await page.textContent('[data-event-index="2"] .conditions-note'), /Not a JSON object/);
    // Hovering an event colours its conditions in the pattern box.
    await page.hover('[data-event-index="1"]');
    const colours = await page.$$eval('#pattern-highlights mark', (m) => m.map((x) => [x.className, x.textContent]));
    assert.deepEqual(colours, [
      ['holds', '$.eventName = "ConsoleLogin"'],
      ['fails', '$.additionalEventData.MFAUsed != "Yes"'],
    ]);
  });

  test('a broken pattern shows the diagnostic and underlines its span', async () => {
    await typeInto('#pattern', '{ $.eventName = ConsoleLogin');
    const error = await page.textContent('#error');
    assert.match(error, /^error\[unclosed-brace\]: If a filter pattern starts with '\{' it must end with '\}'/);
    assert.match(error, /help: add the closing '\}'/);
    assert.deepEqual(
      await page.$$eval('#pattern-highlights mark.error', (m) => m.map((x) => x.textContent)),
      ['{'],
    );
    assert.deepEqual(await marks(), []);
    await page.screenshot({ path: `${out}/error.png` });

    // The span is in UTF-16 code units: the mark covers the ':' after an emoji.
    await typeInto('#pattern', '"😀é" x:y');
    assert.match(await page.textContent('#error'), /^error\[invalid-character\]/);
    assert.deepEqual(
      await page.$$eval('#pattern-highlights mark.error', (m) => m.map((x) => x.textContent)),
      [':'],
    );

    // Fixed: the error goes away and the events are marked again.
    await typeInto('#pattern', '{ $.eventName = ConsoleLogin }');
    assert.equal(await page.textContent('#error'), '');
    assert.equal(await page.$$eval('#pattern-highlights mark.error', (m) => m.length), 0);
    assert.deepEqual(await marks(), expectMarks([true, true, false]));
  });

  test('hostile input shows an error or an answer, never breaks the page', async () => {
    // Past the limits: each refused with its own code, shown in the error box.
    await paste('#pattern', `{ ${'('.repeat(300)}$.a = 1${')'.repeat(300)} }`);
    assert.match(await page.textContent('#error'), /^error\[nesting-too-deep\]/);
    await paste('#pattern', 'x'.repeat(5000));
    assert.match(await page.textContent('#error'), /^error\[pattern-too-long\]/);
    // A lone surrogate and a NUL in the pattern, a 100,000-deep event, a NUL and a number
    // beyond f64 in events: answers, no error, no exception.
    await paste('#pattern', '{ $.n > 5 }');
    await paste(
      '#events',
      ['['.repeat(100_000) + ']'.repeat(100_000), '{"n": 1e400}', '{"n": 1, "s": "a\u0000b"}', '\ud800 \u0000'].join('\n'),
    );
    assert.equal(await page.textContent('#error'), '');
    assert.deepEqual(await marks(), expectMarks([false, true, false, false]));
    await paste('#pattern', 'a\u0000b \ud800');
    assert.equal(await page.textContent('#error'), '');
    assert.deepEqual(pageErrors, []);
  });

  test('a pasted CloudTrail log file is split into its records', async () => {
    const records = examples.find((e) => e.id === 'cis-cloudtrail-changes').events.map((e) => JSON.parse(e));
    await typeInto('#pattern', '{ $.eventSource = "cloudtrail.amazonaws.com" && $.eventName = "Stop*" }');
    await paste('#events', JSON.stringify({ Records: records }, null, 2));
    assert.deepEqual(await marks(), expectMarks([false, true, false]));
    assert.match(await page.textContent('#events-status'), /^3 events: the records of a CloudTrail log file/);
    assert.match(await page.textContent('[data-event-index="1"] .event-about'), /^StopLogging · cloudtrail\.amazonaws\.com/);
  });

  test('the link reproduces the test', async () => {
    await typeInto('#pattern', '?ERROR ?WARN');
    await paste('#events', 'INFO ok\nWARN disk 91% full\nERROR # & = + é');
    const link = page.url();
    assert.match(link, /#pattern=.+&events=/);
    const other = await browser.newPage();
    try {
      await other.goto(link);
      await other.waitForFunction(() => document.body.dataset.state === 'idle');
      assert.equal(await other.inputValue('#pattern'), '?ERROR ?WARN');
      assert.equal(await other.inputValue('#events'), 'INFO ok\nWARN disk 91% full\nERROR # & = + é');
      const otherMarks = await other.$$eval('#results [data-event-index]', (items) => items.map((i) => i.dataset.match));
      assert.deepEqual(otherMarks, ['false', 'true', 'true']);
    } finally {
      await other.close();
    }
  });

  test('the examples menu loads an example', async () => {
    await page.selectOption('#example', 'vpc-flow-logs-rejected');
    await settled();
    assert.match(await page.inputValue('#pattern'), /action = "REJECT"/);
    assert.deepEqual(await marks(), expectMarks([false, true, false, false, false, true, false]));
    const action = await page.$$eval('[data-event-index="1"] .extracted dt', (dts) =>
      dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent]).find(([k]) => k === '$action'),
    );
    assert.deepEqual(action, ['$action', 'REJECT']);

    await page.selectOption('#example', 'lambda-errors-and-warnings');
    await settled();
    assert.equal(await page.inputValue('#pattern'), '?ERROR ?WARN');
    const matched = (await marks()).filter(([, m]) => m === 'true').map(([i]) => i);
    assert.deepEqual(matched, [3, 7]);
  });

  test('a huge input runs in the worker without freezing the page', async () => {
    await typeInto('#pattern', '[ip, user, username, timestamp, request, status_code = 4*, bytes]');
    const lines = 200_000;
    // Put 200,000 events in the box, let Chromium lay the textarea out (seconds, whatever the
    // page does), then fire the input event and check that frames keep coming while the worker
    // answers.
    const frameGaps = await page.evaluate(async (n) => {
      const line = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534';
      const box = document.getElementById('events');
      box.value = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? line : line.replace(' 404 ', ' 200 '))).join('\n');
      void box.offsetHeight;
      await new Promise((resolve) => requestAnimationFrame(resolve));
      box.dispatchEvent(new Event('input', { bubbles: true }));
      const gaps = [];
      let last = performance.now();
      await new Promise((resolve) => {
        const tick = (now) => {
          gaps.push(now - last);
          last = now;
          if (document.body.dataset.state === 'idle' && gaps.length > 2) {
            resolve();
          } else {
            requestAnimationFrame(tick);
          }
        };
        requestAnimationFrame(tick);
      });
      return gaps;
    }, lines);
    await settled();
    assert.match(await page.textContent('#summary'), new RegExp(`^${lines / 4} of ${lines} events match · .* \\(showing the first 200\\)`));
    assert.equal((await marks()).length, 200);
    assert.match(await page.textContent('#events-status'), /too large for the link/);
    assert.match(page.url(), /&events=$/);
    // Frames kept coming while the engine worked (the worst gap includes splitting the text and
    // drawing 200 results).
    assert.ok(frameGaps.length > 3, `only ${frameGaps.length} frames`);
    const worst = Math.max(...frameGaps);
    assert.ok(worst < 1000, `the page froze for ${Math.round(worst)} ms`);

    // Typing while the worker is busy drops the old run.
    await page.locator('#pattern').fill('[ip, user, username, timestamp, request, status_code = 2*, bytes]');
    await page.locator('#pattern').fill('[ip, user, username, timestamp, request, status_code = 5*, bytes]');
    await settled();
    assert.match(await page.textContent('#summary'), new RegExp(`^0 of ${lines} events match`));
    await paste('#events', '');
  });

  test('an EventBridge event pattern: CloudTrail records wrapped, conditions held, errors underlined', async () => {
    await page.selectOption('#example', 'eventbridge-iam-policy-changes');
    await settled();
    assert.match(await page.textContent('#status'), /^Valid EventBridge event pattern/);
    // AttachRolePolicy, AttachUserPolicy, CreateUser, CreateAccessKey.
    assert.deepEqual(await marks(), expectMarks([true, true, false, false]));
    const notes = await page.$$eval('#results .wrap-note', (n) => n.map((x) => [x.dataset.wrap, x.textContent]));
    assert.equal(notes.length, 4);
    assert.equal(notes[0][0], 'wrapped');
    assert.match(notes[0][1], /source aws\.iam and detail-type "AWS API Call via CloudTrail"/);
    const held = (i) =>
      page.$$eval(`[data-event-index="${i}"] .conditions li`, (items) =>
        items.map((li) => [li.querySelector('code').textContent.slice(0, 30), li.dataset.holds]),
      );
    // One line per value of the pattern (a field's values are alternatives): for
    // AttachRolePolicy only its own value held, for CreateUser none did.
    const attach = await held(0);
    assert.equal(attach.length, 16);
    assert.deepEqual(
      attach.filter(([, holds]) => holds === 'true').map(([condition]) => condition),
      ['"detail.eventName": ["AttachRo'],
    );
    const createUser = await held(2);
    assert.equal(createUser.length, 16);
    assert.ok(createUser.every(([, holds]) => holds === 'false'), JSON.stringify(createUser));

    // The envelope's fields match only because the records are wrapped as EventBridge delivers them.
    await typeInto('#pattern', '{"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"]}');
    assert.deepEqual(await marks(), expectMarks([true, true, true, true]));

    // An EventBridge event is taken as given; a CloudTrail record that cannot be wrapped says why.
    await paste(
      '#events',
      [
        '{"source":"aws.iam","detail-type":"AWS API Call via CloudTrail","detail":{}}',
        '{"eventVersion":"1.08","eventName":"CreateUser","eventSource":"iam.amazonaws.com"}',
        '{"source":"aws.s3","detail-type":"AWS API Call via CloudTrail","detail":{}}',
        'not JSON',
      ].join('\n'),
    );
    assert.deepEqual(await marks(), expectMarks([true, false, false, false]));
    const wraps = await page.$$eval('#results .result', (items) =>
      items.map((item) => item.querySelector('.wrap-note')?.dataset.wrap ?? null),
    );
    assert.deepEqual(wraps, [null, 'unwrappable', null, null]);
    assert.match(await page.textContent('[data-event-index="1"] .wrap-note'), /the record has no eventType/);
    assert.deepEqual(await held(2), [
      ['"source": ["aws.iam"]', 'false'],
      ['"detail-type": ["AWS API Call via C', 'true'],
    ].map(([c, h]) => [c.slice(0, 30), h]));
    assert.match(await page.textContent('[data-event-index="3"] .conditions-note'), /Not a JSON object/);

    // EventBridge's own error, with its span underlined in the pattern box.
    await typeInto('#pattern', '{"source": "aws.iam"}');
    const error = await page.textContent('#error');
    assert.match(error, /^error\[/);
    assert.deepEqual(
      await page.$$eval('#pattern-highlights mark.error', (m) => m.map((x) => x.textContent)),
      ['"aws.iam"'],
    );
    assert.deepEqual(await marks(), []);
    await page.screenshot({ path: `${out}/eventbridge-error.png` });
  });

  test('screenshot of the tester', async () => {
    await page.goto(`${server.url}#`);
    await page.selectOption('#example', 'cis-unauthorized-api-calls');
    await settled();
    await page.hover('[data-event-index="1"]');
    await page.screenshot({ path: `${out}/tester.png` });
    if (process.env.UPDATE_SCREENSHOT === '1') {
      copyFileSync(`${out}/tester.png`, `${here}screenshot.png`);
    }
  });

  test('no errors in the page or its worker, and nothing fetched from elsewhere', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(offsite, []);
  });
});
