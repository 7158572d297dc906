'use strict';
// Sidebar.html in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core), with google.script.run replaced by a stub that records
// calls and returns canned results shaped like Code.js's. Screenshots of each
// state go to test-output/addon/.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { loadAddon, readFixture, ADDON_DIR } = require('./gas_fakes');

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT_DIR = path.join(ADDON_DIR, '..', 'test-output', 'addon');
const SHEET = '案件一覧';

let browser;
let pageDir;

test.before(async () => {
  // A missing browser must fail the suite: CI installs it (scripts/test).
  assert.ok(fs.existsSync(CHROMIUM), CHROMIUM + ' is missing: install Debian\'s chromium package');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  pageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'addon-sidebar-'));
});

test.after(async () => {
  if (browser) {
    await browser.close();
  }
  if (pageDir) {
    fs.rmSync(pageDir, { recursive: true, force: true });
  }
});

/** Renders Sidebar.html as the HTML service would, with the boot object Code.js builds. */
function sidebarFile(name, boot) {
  const { evaluate } = loadAddon();
  const messages = evaluate('MESSAGES')[boot.lang];
  const json = evaluate('scriptJson_')(Object.assign({ jobId: null, data: null, batchSize: 25, wave: null, sheet: SHEET, pollIntervalMs: 20, messages }, boot));
  const template = fs.readFileSync(path.join(ADDON_DIR, 'Sidebar.html'), 'utf8');
  assert.ok(template.includes('<?!= boot ?>'), 'Sidebar.html lost its boot scriptlet');
  const file = path.join(pageDir, name + '.html');
  fs.writeFileSync(file, template.replace('<?!= boot ?>', () => json));
  return file;
}

/**
 * Opens the sidebar with a google.script.run stub. `jobs` maps a job id to
 * the getJob answers in order (the last repeats); a job whose answers
 * contain 'hold' waits there until window.releaseHold() is called.
 */
async function openSidebar(name, boot, scenario) {
  const context = await browser.newContext({ viewport: { width: 300, height: 900 }, deviceScaleFactor: 1 });
  const external = [];
  await context.route(/^(https?|wss?):/, (route) => {
    external.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.addInitScript((scenario) => {
    window.calls = [];
    window.progressSeen = [];
    const polls = {};
    let released = false;
    window.releaseHold = () => {
      released = true;
    };
    const handlers = {
      getJob(jobId) {
        const answers = scenario.jobs[jobId];
        const index = Math.min(polls[jobId] || 0, answers.length - 1);
        if (answers[index] === 'hold') {
          if (!released) {
            return answers[index - 1];
          }
          polls[jobId] = index + 1;
          return answers[index + 1];
        }
        polls[jobId] = (polls[jobId] || 0) + 1;
        return answers[index];
      },
      selectCell: () => ({ ok: true }),
      startSyncRun: () => scenario.startSyncRun,
    };
    function runner(onSuccess, onFailure) {
      return new Proxy({}, {
        get(target, name) {
          if (name === 'withSuccessHandler') {
            return (handler) => runner(handler, onFailure);
          }
          if (name === 'withFailureHandler') {
            return (handler) => runner(onSuccess, handler);
          }
          return (...args) => {
            window.calls.push({ name, args });
            setTimeout(() => {
              try {
                const answer = JSON.parse(JSON.stringify(handlers[name](...args)));
                if (onSuccess) onSuccess(answer);
              } catch (error) {
                if (onFailure) onFailure(error);
              }
            }, 0);
          };
        },
      });
    }
    window.google = { script: { run: runner(null, null), host: { close() {} } } };
    new MutationObserver(() => {
      const bar = document.querySelector('[role=progressbar]');
      if (bar) {
        const value = Number(bar.getAttribute('aria-valuenow'));
        if (window.progressSeen[window.progressSeen.length - 1] !== value) {
          window.progressSeen.push(value);
        }
      }
    }).observe(document, { subtree: true, childList: true, attributes: true });
  }, scenario || { jobs: {} });
  await page.goto('file://' + sidebarFile(name, boot));
  return { page, context, external, pageErrors };
}

async function screenshot(page, name, fullPage = true) {
  await page.screenshot({ path: path.join(OUTPUT_DIR, name + '.png'), fullPage });
}

function running(progress) {
  return { ok: true, job: { id: 'x', state: 'running', progress, pauseReason: null, result: null, error: null } };
}

function done(result) {
  return { ok: true, job: { id: 'x', state: 'done', progress: 1, pauseReason: null, result, error: null } };
}

test('validation result with summary, chart and findings', async () => {
  const report = readFixture('validation_report.ja.json');
  const scenario = { jobs: { job1: [running(0.3), running(0.7), done(report)] } };
  const { page, context, external, pageErrors } = await openSidebar('validation', { lang: 'ja', view: 'validation', jobId: 'job1' }, scenario);
  await page.waitForSelector('#summary');
  await screenshot(page, 'validation', false);
  await screenshot(page, 'validation_full');

  // Counts computed from the findings themselves, not from the summary.
  const errors = report.findings.filter((finding) => finding.severity === 'error').length;
  const warnings = report.findings.filter((finding) => finding.severity === 'warning').length;
  const stats = await page.$$eval('#summary .stat', (nodes) => nodes.map((node) => [node.querySelector('.label').textContent, node.querySelector('.value').textContent]));
  const statMap = Object.fromEntries(stats);
  assert.equal(statMap['エラー'], errors.toLocaleString('ja-JP'));
  assert.equal(statMap['警告'], warnings.toLocaleString('ja-JP'));
  assert.equal(statMap['検証した行'], String(report.summary.rows_checked));

  const byCode = {};
  for (const finding of report.findings) {
    byCode[finding.code] = (byCode[finding.code] || 0) + 1;
  }
  const shownCodes = await page.$$eval('#by-code tr', (rows) => rows.map((row) => [row.dataset.code, row.lastChild.textContent]));
  assert.deepEqual(Object.fromEntries(shownCodes), Object.fromEntries(Object.entries(byCode).map(([code, count]) => [code, count.toLocaleString('ja-JP')])));

  const bars = await page.$$eval('#grades rect', (rects) => rects.map((rect) => [rect.dataset.label, Number(rect.dataset.count), Number(rect.getAttribute('width'))]));
  assert.deepEqual(bars.map((bar) => [bar[0], bar[1]]), Object.entries(report.summary.grades));
  const widest = bars.reduce((best, bar) => (bar[1] > best[1] ? bar : best));
  for (const bar of bars) {
    assert.ok(bar[2] <= widest[2], 'a smaller count has a wider bar');
  }

  const items = await page.$$('#findings .finding');
  assert.equal(items.length, Math.min(200, report.findings.length));
  const firstBadge = await page.$eval('#findings .finding .badge', (node) => node.className);
  assert.equal(firstBadge, 'badge error');
  const more = await page.textContent('#findings-more');
  assert.equal(more, `ほかに ${report.findings.length - 200} 件の指摘があります。シートの結果列で確認できます。`);

  // Click the first error with a column: selectCell gets its tab and A1.
  const target = report.findings.find((finding) => finding.severity === 'error' && finding.column_letter);
  await page.click(`#findings .finding[data-a1="${target.column_letter}${target.row}"]`);
  await page.waitForFunction(() => window.calls.some((call) => call.name === 'selectCell'));
  const call = await page.evaluate(() => window.calls.find((item) => item.name === 'selectCell'));
  assert.deepEqual(call.args, [report.summary.sheet, target.column_letter + target.row]);

  const polls = await page.evaluate(() => window.calls.filter((item) => item.name === 'getJob').map((item) => item.args[0]));
  assert.deepEqual(polls, ['job1', 'job1', 'job1']);
  assert.deepEqual(external, []);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('KPI highlights in English', async () => {
  const kpis = readFixture('kpi_report.en.json');
  const { page, context, external, pageErrors } = await openSidebar('kpis', { lang: 'en', view: 'kpis', data: kpis });
  await page.waitForSelector('#kpis');
  await screenshot(page, 'kpis');
  const stats = Object.fromEntries(await page.$$eval('#kpis .stat', (nodes) => nodes.map((node) => [node.querySelector('.label').textContent, node.querySelector('.value').textContent])));
  assert.equal(stats['Rows'], String(kpis.rows));
  assert.equal(stats['To-do'], kpis.todo.length + ' items');
  assert.equal(stats['Total revenue'], kpis.revenue.total.value.toLocaleString('en-US', { maximumFractionDigits: 0 }));
  const stale = kpis.funnels.flatMap((funnel) => funnel.stages).reduce((sum, stage) => sum + stage.stale, 0);
  assert.equal(stats['Deals stale in their stage'], String(stale));
  // A KPI without a value shows why.
  const retention = await page.$eval('#kpis .stat:nth-child(5) .note', (node) => node.textContent);
  assert.equal(retention, kpis.retention.retention_rate.reason_text);
  assert.deepEqual(external, []);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('sync with confirm, progress and failed rows', async () => {
  const plan = {
    sheet_id: '1AbCspreadsheetId',
    wave: 'cs',
    totals: {
      deal: { create: 30, update: 5, unchanged: 100, blocked: 12 },
      company: { create: 10, update: 2, unchanged: 50 },
      contact: { create: 8, update: 0, unchanged: 40 },
      removed: { rows: 1 },
    },
    removed: ['1999'],
    rows: [],
  };
  const result = {
    run_id: 7,
    state: 'finished',
    sheet: SHEET,
    counts: { synced: 23, rejected: 1, conflict: 1 },
    rows: [
      { row: 12, row_key: '1011', status: 'synced' },
      { row: 17, row_key: '1016', status: 'rejected', message: 'HubSpot: amount は数値ではありません。' },
      { row: 40, row_key: '1039', status: 'conflict', message: 'HubSpot 側で変更されています。' },
    ],
  };
  const scenario = {
    jobs: {
      plan1: [done(plan)],
      run1: [running(0), running(0.25), running(0.5), 'hold', running(0.75), done(result)],
    },
    startSyncRun: { ok: true, jobId: 'run1' },
  };
  const { page, context, external, pageErrors } = await openSidebar('sync', { lang: 'ja', view: 'syncRun', jobId: 'plan1', batchSize: 25 }, scenario);

  await page.waitForSelector('#confirm-sync');
  const dealCells = await page.$$eval('#plan-totals tr[data-object=deal] td[data-action]', (cells) => cells.map((cell) => [cell.dataset.action, cell.textContent]));
  assert.deepEqual(Object.fromEntries(dealCells), { create: '30', update: '5', unchanged: '100', blocked: '12' });
  const confirmText = await page.textContent('h2');
  const expectedCount = Math.min(plan.totals.deal.create + plan.totals.deal.update, 25);
  assert.equal(confirmText, `次の ${expectedCount} 行を HubSpot に送ります。よろしいですか？`);
  await screenshot(page, 'sync_confirm');
  assert.equal(await page.evaluate(() => window.calls.filter((call) => call.name === 'startSyncRun').length), 0);

  await page.click('#confirm-sync');
  await page.waitForFunction(() => document.querySelector('[role=progressbar]') && document.querySelector('[role=progressbar]').getAttribute('aria-valuenow') === '50');
  await screenshot(page, 'sync_progress');
  await page.evaluate(() => window.releaseHold());

  await page.waitForSelector('#run-counts');
  await screenshot(page, 'sync_done');
  const progress = await page.evaluate(() => window.progressSeen);
  assert.equal(progress[progress.length - 1], 100);
  for (let index = 1; index < progress.length; index++) {
    assert.ok(progress[index] >= progress[index - 1], 'progress went back: ' + progress.join(','));
  }
  assert.ok(progress.includes(50) && progress.includes(75), 'intermediate progress missing: ' + progress.join(','));

  const counts = Object.fromEntries(await page.$$eval('#run-counts tr', (rows) => rows.map((row) => [row.dataset.key, row.lastChild.textContent])));
  assert.deepEqual(counts, { synced: '23', rejected: '1', conflict: '1' });

  const failedRows = result.rows.filter((row) => row.status !== 'synced');
  const links = await page.$$eval('#failed-rows button', (buttons) => buttons.map((button) => [button.textContent, button.dataset.a1]));
  assert.deepEqual(links, failedRows.map((row) => [`${row.row} 行目`, `${row.row}:${row.row}`]));
  await page.click('#failed-rows button');
  await page.waitForFunction(() => window.calls.some((call) => call.name === 'selectCell'));
  const select = await page.evaluate(() => window.calls.find((call) => call.name === 'selectCell'));
  assert.deepEqual(select.args, [SHEET, '17:17']);

  const runCalls = await page.evaluate(() => window.calls.filter((call) => call.name === 'startSyncRun').length);
  assert.equal(runCalls, 1);
  assert.deepEqual(external, []);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('failed job shows the service detail', async () => {
  const error = { type: 'https://bridge.example/problems/sheet-not-found', title: 'シートが見つかりません', status: 404, detail: 'タブ「案件」がスプレッドシートにありません。タブ名を確認してください。', code: 'sheet-not-found' };
  const scenario = { jobs: { job9: [{ ok: true, job: { id: 'job9', state: 'failed', progress: 0.3, pauseReason: null, result: null, error } }] } };
  const { page, context, pageErrors } = await openSidebar('failed', { lang: 'ja', view: 'validation', jobId: 'job9' }, scenario);
  await page.waitForSelector('.problem');
  await screenshot(page, 'job_failed');
  assert.equal(await page.textContent('.problem .title'), error.title);
  assert.equal(await page.textContent('.problem .detail'), error.detail);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('finding text is not parsed as HTML', async () => {
  const report = {
    summary: { sheet: SHEET, as_of: '2024-06-01', rows_checked: 1, errors: 1, warnings: 0, findings_by_code: { invalid_email: 1 }, grades: {} },
    findings: [{ row: 2, column: 'メール', column_letter: 'F', code: 'invalid_email', severity: 'error', value: '<img src=x onerror=alert(1)>', message: 'F2 メール: 「<img src=x onerror=window.injected=1>」はメールアドレスではありません。', suggestion: null }],
  };
  const { page, context } = await openSidebar('escaping', { lang: 'ja', view: 'validation', data: report });
  await page.waitForSelector('#findings .finding');
  assert.equal(await page.$('#findings img'), null);
  assert.equal(await page.evaluate(() => window.injected), undefined);
  assert.equal(await page.textContent('#findings .finding .message'), report.findings[0].message);
  await context.close();
});
