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

// kpi_history.*.json come from real bridge runs (fixtures/make_kpi_history.sh).
function scoreChangeOf(trend) {
  const values = trend.scores.map((point) => point.score).filter((score) => typeof score === 'number');
  return values.length < 2 ? null : values[values.length - 1] - values[0];
}

test('KPI history with movement, trends and calendar', async () => {
  const kpis = readFixture('kpi_history.ja.json');
  const history = kpis.history;
  // The report arrives as the result of the service's KPI job, through Code.js's jobOf_ as getJob returns it.
  const job = { job_id: 'kpi1', kind: 'kpis', state: 'done', progress: 1, pause_reason: null, result: kpis, error: null };
  const scenario = { jobs: { kpi1: [running(0.5), polled(job)] } };
  const { page, context, external, pageErrors } = await openSidebar('kpis_history', { lang: 'ja', view: 'kpis', jobId: 'kpi1' }, scenario);
  await page.waitForSelector('#score-trends');
  await screenshot(page, 'kpis_history');

  // Grade movement: the counts, and the matrix cell by cell.
  const movement = Object.fromEntries(await page.$$eval('#grade-movement .stat', (nodes) => nodes.map((node) => [node.querySelector('.label').textContent, node.querySelector('.value').textContent])));
  const matrix = history.grade_movement.matrix;
  let worse = 0;
  let better = 0;
  matrix.forEach((row, from) => row.forEach((count, to) => {
    if (to > from) worse += count;
    if (to < from) better += count;
  }));
  assert.ok(worse > 0, 'the fixture should have worse grades');
  assert.ok(better > 0, 'the fixture should have better grades');
  assert.equal(movement['悪化'], String(worse));
  assert.equal(movement['改善'], String(better));
  assert.equal(movement['変化なし'], String(history.grade_movement.unchanged));
  const cells = await page.$$eval('#grade-matrix tbody tr', (rows) => rows.map((row) => Array.from(row.querySelectorAll('td')).map((cell) => Number(cell.textContent))));
  assert.deepEqual(cells, matrix);
  const worseCells = await page.$$eval('#grade-matrix td.worse:not(.zero)', (nodes) => nodes.map((node) => Number(node.textContent)));
  assert.equal(worseCells.reduce((sum, count) => sum + count, 0), worse);
  const title = await page.$eval('#grade-movement-title', (node) => node.textContent);
  assert.equal(title, '評価の変化（' + history.grade_movement.start + ' → ' + history.grade_movement.end + '）');

  // Score trends: largest drop first, ten shown, the rest counted.
  const expected = history.score_trends.slice().sort((a, b) => {
    const changeA = scoreChangeOf(a);
    const changeB = scoreChangeOf(b);
    const rankA = changeA === null ? Infinity : changeA;
    const rankB = changeB === null ? Infinity : changeB;
    return rankA - rankB || a.sheet_row - b.sheet_row;
  }).slice(0, 10);
  const shown = await page.$$eval('#score-trends li', (nodes) => nodes.map((node) => node.getAttribute('data-row-key')));
  assert.deepEqual(shown, expected.map((trend) => trend.row_key));
  assert.ok(scoreChangeOf(expected[0]) < 0);
  const more = await page.$eval('#score-trends-more', (node) => node.textContent);
  assert.equal(more, '…ほか ' + (history.score_trends.length - 10) + ' 件');

  // Each sparkline is a polyline with one point per score, lower scores drawn lower.
  for (const trend of expected) {
    const points = await page.$eval(`#score-trends li[data-row-key="${trend.row_key}"] svg.sparkline polyline`, (node) => node.getAttribute('points'));
    const ys = points.split(' ').map((point) => Number(point.split(',')[1]));
    const scores = trend.scores.map((point) => point.score).filter((score) => typeof score === 'number');
    assert.equal(ys.length, scores.length, trend.row_key);
    const lowest = scores.indexOf(Math.min(...scores));
    const highest = scores.indexOf(Math.max(...scores));
    if (scores[lowest] === scores[highest]) {
      assert.equal(new Set(ys).size, 1, trend.row_key + ': ' + points);
    } else {
      assert.ok(ys[lowest] > ys[highest], trend.row_key + ': ' + points);
    }
  }
  const firstChange = await page.$eval('#score-trends li:first-child .trend-change', (node) => node.textContent);
  assert.equal(firstChange, scoreChangeOf(expected[0]).toLocaleString('ja-JP', { maximumFractionDigits: 1 }) + ' 点');

  // Clicking a trend's row link selects that row of the data tab.
  await page.click(`#score-trends li[data-row-key="${expected[0].row_key}"] button.rowlink`);
  await page.waitForFunction(() => window.calls.some((call) => call.name === 'selectCell'));
  const selected = await page.evaluate(() => window.calls.filter((call) => call.name === 'selectCell').map((call) => call.args));
  const row = expected[0].sheet_row;
  assert.deepEqual(selected, [[kpis.sheet, row + ':' + row]]);

  // Support calendar: the first six months, one bar per series and month.
  const months = history.support_calendar.slice(0, 6);
  const table = await page.$$eval('#calendar-table tbody tr', (rows) => rows.map((row) => ({
    month: row.getAttribute('data-month'),
    renewals: row.querySelector('[data-field=renewals]').textContent,
    amount: row.querySelector('[data-field=renewal_amount]').textContent,
    actions: row.querySelector('[data-field=planned_actions]').textContent,
  })));
  assert.deepEqual(table, months.map((month) => ({
    month: month.month,
    renewals: String(month.renewals),
    amount: month.renewal_amount.toLocaleString('ja-JP', { maximumFractionDigits: 0 }),
    actions: String(month.planned_actions),
  })));
  const bars = await page.$$eval('#calendar-chart rect[data-series]', (nodes) => nodes.map((node) => ({
    month: node.getAttribute('data-month'),
    series: node.getAttribute('data-series'),
    count: Number(node.getAttribute('data-count')),
    width: Number(node.getAttribute('width')),
  })));
  assert.equal(bars.length, months.length * 2);
  for (const series of ['renewals', 'planned_actions']) {
    const ofSeries = bars.filter((bar) => bar.series === series);
    assert.deepEqual(ofSeries.map((bar) => bar.count), months.map((month) => month[series]));
    const widest = ofSeries.reduce((best, bar) => (bar.width > best.width ? bar : best));
    assert.equal(widest.count, Math.max(...months.map((month) => month[series])), series);
    assert.equal(ofSeries.filter((bar) => bar.count === 0).every((bar) => bar.width === 0), true, series);
  }

  assert.deepEqual(external, []);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('KPI history in English and when absent', async () => {
  const kpis = readFixture('kpi_history.en.json');
  const { page, context, external, pageErrors } = await openSidebar('kpis_history_en', { lang: 'en', view: 'kpis', data: kpis });
  await page.waitForSelector('#score-trends');
  const headings = await page.$$eval('h2', (nodes) => nodes.map((node) => node.textContent));
  assert.ok(headings.includes('Score trend per client'), headings.join(' | '));
  assert.ok(headings.includes('Support calendar'), headings.join(' | '));
  const more = await page.$eval('#score-trends-more', (node) => node.textContent);
  assert.equal(more, '… and ' + (kpis.history.score_trends.length - 10) + ' more');
  const firstMonth = await page.$eval('#calendar-table tbody tr:first-child td', (node) => node.textContent);
  const month = kpis.history.support_calendar[0].month;
  assert.equal(firstMonth, new Date(month + '-01T00:00:00Z').toLocaleDateString('en-US', { year: 'numeric', month: 'short', timeZone: 'UTC' }));
  await context.close();

  // A service without a history database sends history: null.
  const withoutHistory = Object.assign({}, kpis, { history: null });
  const second = await openSidebar('kpis_no_history', { lang: 'en', view: 'kpis', data: withoutHistory });
  await second.page.waitForSelector('#kpis');
  const none = await second.page.$eval('#history-none', (node) => node.textContent);
  assert.match(none, /^No history yet\./);
  assert.equal(await second.page.$('#grade-matrix'), null);
  assert.equal(await second.page.$('#score-trends'), null);
  assert.deepEqual(external.concat(second.external), []);
  assert.deepEqual(pageErrors.concat(second.pageErrors), []);
  await second.context.close();
});

// The sync tests replay the service's real responses (tests/addon_sync_fixtures.py),
// passed through Code.js's own jobOf_ and problemOf_ as getJob and startSyncRun do.
const { evaluate: addonEvaluate } = loadAddon();

function polled(document) {
  return JSON.parse(JSON.stringify({ ok: true, job: addonEvaluate('jobOf_')(document) }));
}

function refused(status, document, lang) {
  return JSON.parse(JSON.stringify({ ok: false, status, error: addonEvaluate('problemOf_')(status, document, lang) }));
}

test('sync with confirm, progress and failed rows', async () => {
  const plan = readFixture('sync_plan.ja.json');
  const polls = readFixture('sync_run_job.ja.json');
  const accepted = readFixture('sync_run_accepted.ja.json');
  const result = polls[polls.length - 1].result;
  // Hold before the last poll result, so that the screenshot shows the bar part-way.
  const answers = polls.map(polled);
  answers.splice(answers.length - 1, 0, 'hold');
  const scenario = { jobs: { [accepted.job_id]: answers }, startSyncRun: { ok: true, jobId: accepted.job_id } };
  const { page, context, external, pageErrors } = await openSidebar('sync', { lang: 'ja', view: 'syncRun', data: plan, batchSize: 25 }, scenario);

  await page.waitForSelector('#confirm-sync');
  const actions = { create: 0, update: 0, unchanged: 0, blocked: 0 };
  for (const row of plan.rows) {
    actions[row.action] += 1;
  }
  const dealCells = await page.$$eval('#plan-totals tr[data-object=deal] td[data-action]', (cells) => cells.map((cell) => [cell.dataset.action, cell.textContent]));
  assert.deepEqual(Object.fromEntries(dealCells), Object.fromEntries(Object.entries(actions).map(([action, count]) => [action, String(count)])));
  const expectedCount = Math.min(actions.create + actions.update, 25);
  assert.equal(await page.textContent('#confirm-question'), `次の ${expectedCount} 行を HubSpot に送ります。よろしいですか？`);
  const blockedLinks = await page.$$eval('#blocked-rows button', (buttons) => buttons.map((button) => button.dataset.a1));
  assert.deepEqual(blockedLinks, plan.rows.filter((row) => row.action === 'blocked').map((row) => `${row.row}:${row.row}`));
  assert.deepEqual(await page.$$eval('#plan-messages li', (items) => items.map((item) => item.textContent)), plan.messages);
  await screenshot(page, 'sync_confirm');
  assert.equal(await page.evaluate(() => window.calls.filter((call) => call.name === 'startSyncRun').length), 0);

  await page.click('#confirm-sync');
  const heldPercent = String(Math.round(polls[polls.length - 2].progress * 100));
  await page.waitForFunction((percent) => {
    const bar = document.querySelector('[role=progressbar]');
    return bar && bar.getAttribute('aria-valuenow') === percent;
  }, heldPercent);
  await screenshot(page, 'sync_progress');
  await page.evaluate(() => window.releaseHold());

  await page.waitForSelector('#run-counts');
  await screenshot(page, 'sync_done');
  const progress = await page.evaluate(() => window.progressSeen);
  assert.equal(progress[progress.length - 1], 100);
  for (let index = 1; index < progress.length; index++) {
    assert.ok(progress[index] >= progress[index - 1], 'progress went back: ' + progress.join(','));
  }
  for (const poll of polls) {
    assert.ok(progress.includes(Math.round(poll.progress * 100)), 'progress ' + poll.progress + ' not shown: ' + progress.join(','));
  }

  // Counts recomputed from the rows of the result.
  const statuses = result.rows.map((row) => row.status);
  const counts = Object.fromEntries(await page.$$eval('#run-counts tr', (rows) => rows.map((row) => [row.dataset.key, row.lastChild.textContent])));
  assert.equal(counts.selected, String(result.rows.length));
  assert.equal(counts.synced, String(statuses.filter((status) => status === 'synced').length));
  assert.equal(counts.rejected, String(statuses.filter((status) => status === 'rejected').length));
  assert.equal(counts.conflicts, String(statuses.filter((status) => status === 'conflict').length));
  const labels = await page.$$eval('#run-counts tr', (rows) => rows.map((row) => row.firstChild.textContent));
  assert.deepEqual(labels.slice(0, 4), ['送信した行', '同期済み', '作成', '更新']);
  assert.equal(result.counts.skipped, 0);
  assert.equal(counts.skipped, undefined, 'a zero skipped count is hidden');

  const failedRows = result.rows.filter((row) => row.status !== 'synced');
  assert.ok(failedRows.length >= 2, 'the fixture has a rejected and a conflicting row');
  const links = await page.$$eval('#failed-rows li', (items) => items.map((item) => [item.dataset.status, item.querySelector('button').textContent, item.querySelector('button').dataset.a1]));
  assert.deepEqual(links, failedRows.map((row) => [row.status, `${row.row} 行目`, `${row.row}:${row.row}`]));
  const rejected = failedRows.find((row) => row.status === 'rejected');
  await page.click(`#failed-rows li[data-status=rejected] button`);
  await page.waitForFunction(() => window.calls.some((call) => call.name === 'selectCell'));
  const select = await page.evaluate(() => window.calls.find((call) => call.name === 'selectCell'));
  assert.deepEqual(select.args, [plan.sheet, `${rejected.row}:${rejected.row}`]);

  // The service's messages link to the cell they start with.
  const messageCells = await page.$$eval('#run-messages li', (items) => items.map((item) => [item.textContent, item.querySelector('button') ? item.querySelector('button').dataset.a1 : null]));
  assert.deepEqual(messageCells, result.messages.map((text) => [text, text.split(' ')[0]]));

  const runCalls = await page.evaluate(() => window.calls.filter((call) => call.name === 'startSyncRun').length);
  assert.equal(runCalls, 1);
  assert.deepEqual(external, []);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('sync preview in English lists blocked rows', async () => {
  const plan = readFixture('sync_plan.en.json');
  const { page, context, external, pageErrors } = await openSidebar('sync_plan', { lang: 'en', view: 'syncPreview', data: plan });
  await page.waitForSelector('#plan-totals');
  await screenshot(page, 'sync_plan');
  assert.equal(await page.textContent('h1'), 'Sync preview');
  assert.equal(await page.textContent('#plan-wave'), 'All rows');
  const companies = await page.$$eval('#plan-totals tr[data-object=company] td[data-action]', (cells) => cells.map((cell) => cell.textContent));
  assert.deepEqual(companies, ['create', 'update', 'unchanged', 'blocked'].map((action) => {
    const count = plan.totals.company[action];
    return count === undefined ? '—' : String(count);
  }));
  const blocked = plan.rows.filter((row) => row.action === 'blocked');
  const items = await page.$$eval('#blocked-rows li', (nodes) => nodes.map((node) => node.textContent));
  assert.deepEqual(items, blocked.map((row) => `Row ${row.row} ${row.blocking_codes.join(', ')}`));
  assert.equal(await page.$('#confirm-sync'), null);
  assert.deepEqual(external, []);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('sync refused with 409 offers a retry', async () => {
  const plan = readFixture('sync_plan.en.json');
  const problem = readFixture('sync_run_in_progress.en.json');
  const scenario = { jobs: {}, startSyncRun: refused(409, problem, 'en') };
  const { page, context, pageErrors } = await openSidebar('sync_conflict', { lang: 'en', view: 'syncRun', data: plan }, scenario);
  await page.click('#confirm-sync');
  await page.waitForSelector('.problem');
  await screenshot(page, 'sync_in_progress');
  assert.equal(await page.textContent('.problem .title'), problem.title);
  assert.equal(await page.textContent('.problem .detail'), problem.detail);

  await page.click('.problem button');
  await page.waitForFunction(() => window.calls.filter((call) => call.name === 'startSyncRun').length === 2);
  await page.waitForSelector('.problem');
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('sync stopped by the daily limit explains it', async () => {
  const plan = readFixture('sync_plan.ja.json');
  const failed = readFixture('sync_run_daily_limit.ja.json');
  const running = Object.assign({}, failed, { state: 'running', error: null });
  const scenario = { jobs: { [failed.job_id]: [polled(running), polled(failed)] }, startSyncRun: { ok: true, jobId: failed.job_id } };
  const { page, context, pageErrors } = await openSidebar('sync_daily_limit', { lang: 'ja', view: 'syncRun', data: plan }, scenario);
  await page.click('#confirm-sync');
  await page.waitForSelector('.problem');
  await screenshot(page, 'sync_daily_limit');
  assert.equal(await page.textContent('.problem .title'), failed.error.title);
  assert.equal(await page.textContent('.problem .detail'), failed.error.detail);
  assert.equal(await page.textContent('#daily-limit-hint'), '上限に達する前に送った行は記録されています。次の同期はその続きから始まります。');
  // Nothing to retry today: the button would meet the same limit.
  assert.equal(await page.$('.problem button'), null);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('migration status with a run in progress', async () => {
  const status = readFixture('sync_status_running.ja.json');
  const { page, context, external, pageErrors } = await openSidebar('sync_status', { lang: 'ja', view: 'status', data: status });
  await page.waitForSelector('#status-counts');
  await screenshot(page, 'sync_status');
  const names = ['synced', 'pending', 'blocked', 'failed', 'conflict', 'association_failed'];
  const total = names.reduce((sum, name) => sum + status[name], 0);
  const percent = Math.round((100 * status.synced) / total);
  assert.equal(await page.getAttribute('#synced-share', 'aria-valuenow'), String(percent));
  assert.equal(await page.textContent('#synced-text'), `${status.synced} / ${total} 行を同期済み（${percent}%）`);
  const counts = Object.fromEntries(await page.$$eval('#status-counts tr', (rows) => rows.map((row) => [row.dataset.key, row.lastChild.textContent])));
  assert.deepEqual(counts, Object.fromEntries(names.map((name) => [name, String(status[name])])));
  assert.equal(await page.textContent('#active-run'), `同期を実行中です（実行 ${status.active_run}）。終わってから次のバッチを同期してください。`);
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
