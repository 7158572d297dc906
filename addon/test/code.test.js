'use strict';
// Code.js, Settings.js and Reminders.js under Node's test runner, with
// recording fakes of the Apps Script services (gas_fakes.js).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { loadAddon, fakeResponse, readFixture, ID_TOKEN, OAUTH_TOKEN } = require('./gas_fakes');

const BACKEND = 'https://bridge.example.com';
const SETTINGS = { 'bridge.backendUrl': BACKEND, 'bridge.batchSize': '25' };
const JOB_ID = '0123456789abcdef0123456789abcdef';
const OUTPUT_DIR = path.join(__dirname, '..', '..', 'test-output', 'addon');
// Every request body the add-on sends, by route; tests/test_addon.py checks
// them against the service's request models.
const sentBodies = {};

function plain(value) {
  return JSON.parse(JSON.stringify(value));
}

function accepted(jobId) {
  return fakeResponse(202, { job_id: jobId, state: 'queued', status_url: '/api/v1/jobs/' + jobId });
}

function jobAnswer(state, progress, extra) {
  return fakeResponse(200, Object.assign({ job_id: JOB_ID, kind: 'validation', state, progress, created_at: '2024-06-01T00:00:00Z', updated_at: '2024-06-01T00:00:01Z' }, extra));
}

function recordBody(route, fetchCall) {
  sentBodies[route] = JSON.parse(fetchCall.params.payload);
}

function assertTokensAbsent(record) {
  const visible = JSON.stringify({ alerts: record.alerts, logs: record.logs, mails: record.mails, sidebars: record.sidebars });
  assert.ok(!visible.includes(ID_TOKEN), 'the ID token leaked into something a user or a log sees');
  assert.ok(!visible.includes(OAUTH_TOKEN), 'the OAuth token leaked into something a user or a log sees');
}

// ---- Messages and menu ----

test('messages have the same keys in ja and en', () => {
  const { evaluate } = loadAddon();
  const messages = plain(evaluate('MESSAGES'));
  assert.deepEqual(Object.keys(messages).sort(), ['en', 'ja']);
  assert.deepEqual(Object.keys(messages.ja).sort(), Object.keys(messages.en).sort());
});

test('messages use the same placeholders in both languages', () => {
  const { evaluate } = loadAddon();
  const messages = plain(evaluate('MESSAGES'));
  const placeholders = (text) => (text.match(/\{\w+\}/g) || []).sort();
  for (const key of Object.keys(messages.ja)) {
    assert.ok(messages.ja[key].trim(), 'empty ja text for ' + key);
    assert.ok(messages.en[key].trim(), 'empty en text for ' + key);
    assert.deepEqual(placeholders(messages.ja[key]), placeholders(messages.en[key]), 'placeholders differ for ' + key);
  }
});

const MENU_CASES = [
  { locale: 'ja', captions: ['検証する', 'KPIを更新', '同期プレビュー', '次のバッチを同期', '移行状況', '設定'] },
  { locale: 'ja_JP', captions: ['検証する', 'KPIを更新', '同期プレビュー', '次のバッチを同期', '移行状況', '設定'] },
  { locale: 'en', captions: ['Validate', 'Update KPIs', 'Sync preview', 'Sync next batch', 'Migration status', 'Settings'] },
  { locale: 'fr_FR', captions: ['Validate', 'Update KPIs', 'Sync preview', 'Sync next batch', 'Migration status', 'Settings'] },
];

for (const { locale, captions } of MENU_CASES) {
  test('menu in locale ' + locale, () => {
    const { context, record } = loadAddon({ locale });
    context.onOpen({ authMode: 'NONE' });
    assert.equal(record.menus.length, 1);
    const items = record.menus[0].items.filter((item) => !item.separator);
    assert.deepEqual(items.map((item) => item.caption), captions);
    assert.deepEqual(
      items.map((item) => item.functionName),
      ['runValidation', 'runKpis', 'runSyncPreview', 'runSyncNextBatch', 'showMigrationStatus', 'showSettings']
    );
    for (const item of items) {
      assert.equal(typeof context[item.functionName], 'function', item.functionName + ' is not defined');
    }
  });
}

test('onOpen makes no fetch and reads no properties', () => {
  const { context, record } = loadAddon({ documentProperties: SETTINGS });
  context.onOpen({ authMode: 'NONE' });
  context.onInstall({ authMode: 'FULL' });
  assert.equal(record.fetches.length, 0);
  assert.equal(record.propertyReads, 0);
  assert.equal(record.menus.length, 2);
});

// ---- Requests of each action ----

function expectedHeaders(lang) {
  return {
    Authorization: 'Bearer ' + ID_TOKEN,
    'X-Goog-OAuth-Token': OAUTH_TOKEN,
    'Accept-Language': lang,
    Accept: 'application/json, application/problem+json',
  };
}

test('validate posts the active tab and opens the sidebar', () => {
  const { context, record } = loadAddon({ documentProperties: SETTINGS, fetch: () => accepted(JOB_ID) });
  context.runValidation();

  assert.equal(record.fetches.length, 1);
  const { url, params } = record.fetches[0];
  assert.equal(url, BACKEND + '/api/v1/validations');
  assert.equal(params.method, 'post');
  assert.deepEqual(plain(params.headers), expectedHeaders('ja'));
  assert.equal(params.muteHttpExceptions, true);
  assert.equal(params.contentType, 'application/json');
  assert.deepEqual(JSON.parse(params.payload), { spreadsheet: '1AbCspreadsheetId', lang: 'ja', sheet: '案件一覧', gid: 0, write: true });
  recordBody('validate', record.fetches[0]);

  assert.equal(record.alerts.length, 0);
  assert.equal(record.sidebars.length, 1);
  const boot = record.sidebars[0].boot;
  assert.equal(boot.view, 'validation');
  assert.equal(boot.jobId, JOB_ID);
  assert.equal(boot.lang, 'ja');
  assert.equal(boot.messages.menuValidate, '検証する');
  assert.equal(record.sidebars[0].title, 'HubSpot 移行ブリッジ');
  assertTokensAbsent(record);
});

test('validate sends the design tab and data tab from settings', () => {
  const yamlLines = ['version: 1', 'sheet:', '  header_row: 1', ''];
  const { context, record } = loadAddon({
    locale: 'en_US',
    documentProperties: Object.assign({ 'bridge.designSource': '設計', 'bridge.dataSheet': '案件一覧' }, SETTINGS),
    spreadsheet: { sheets: [{ name: 'KPI', id: 77 }, { name: '案件一覧', id: 0 }, { name: '設計', id: 5, columnA: yamlLines }] },
    fetch: () => accepted(JOB_ID),
  });
  context.runValidation();
  const body = JSON.parse(record.fetches[0].params.payload);
  assert.deepEqual(body, { spreadsheet: '1AbCspreadsheetId', lang: 'en', sheet: '案件一覧', design_yaml: 'version: 1\nsheet:\n  header_row: 1\n', write: true });
  assert.equal(record.fetches[0].params.headers['Accept-Language'], 'en');
});

test('missing design tab shows an error and sends nothing', () => {
  const { context, record } = loadAddon({
    documentProperties: Object.assign({ 'bridge.designSource': '設計' }, SETTINGS),
    fetch: () => accepted(JOB_ID),
  });
  context.runValidation();
  assert.equal(record.fetches.length, 0);
  assert.equal(record.alerts.length, 1);
  assert.equal(record.alerts[0].prompt, '設計のタブ「設計」がありません。「設定」の設計ソースを直してください。');
  assert.equal(record.sidebars.length, 0);
});

test('no backend URL asks the user to set one', () => {
  const { context, record } = loadAddon({ locale: 'en' });
  context.runKpis();
  assert.equal(record.fetches.length, 0);
  assert.equal(record.alerts[0].prompt, 'No backend URL is set. Enter it under Settings in the add-on menu.');
});

test('script property gives the backend URL to every spreadsheet', () => {
  const { context, record } = loadAddon({
    scriptProperties: { BACKEND_URL: BACKEND + '/' },
    fetch: () => accepted(JOB_ID),
  });
  context.runKpis();
  assert.equal(record.alerts.length, 0);
  assert.equal(record.fetches[0].url, BACKEND + '/api/v1/kpis');
});

test('spreadsheet backend URL wins over the script property', () => {
  const other = 'https://other.example.com';
  const { context } = loadAddon({
    documentProperties: { 'bridge.backendUrl': other },
    scriptProperties: { BACKEND_URL: BACKEND },
  });
  assert.equal(plain(context.loadSettings_()).backendUrl, other);
});

test('invalid script property backend URL is ignored', () => {
  const { context, record } = loadAddon({ locale: 'en', scriptProperties: { BACKEND_URL: 'http://plain.example.com' } });
  context.runKpis();
  assert.equal(record.fetches.length, 0);
  assert.equal(record.alerts[0].prompt, 'No backend URL is set. Enter it under Settings in the add-on menu.');
});

test('kpis posts the sheet request', () => {
  const { context, record } = loadAddon({ documentProperties: SETTINGS, fetch: () => accepted(JOB_ID) });
  context.runKpis();
  const { url, params } = record.fetches[0];
  assert.equal(url, BACKEND + '/api/v1/kpis');
  assert.equal(params.method, 'post');
  assert.deepEqual(plain(params.headers), expectedHeaders('ja'));
  assert.deepEqual(JSON.parse(params.payload), { spreadsheet: '1AbCspreadsheetId', lang: 'ja', sheet: '案件一覧', gid: 0 });
  recordBody('kpis', record.fetches[0]);
  assert.equal(record.sidebars[0].boot.view, 'kpis');
});

test('kpis answered with 200 shows the data', () => {
  const kpis = readFixture('kpi_report.ja.json');
  const { context, record } = loadAddon({ documentProperties: SETTINGS, fetch: () => fakeResponse(200, kpis) });
  context.runKpis();
  const boot = record.sidebars[0].boot;
  assert.equal(boot.jobId, null);
  assert.equal(boot.data.rows, kpis.rows);
});

// The sync fixtures are the service's real responses (tests/addon_sync_fixtures.py).

test('sync preview posts the plan request with the wave', () => {
  const plan = readFixture('sync_plan.ja.json');
  const { context, record } = loadAddon({
    documentProperties: Object.assign({ 'bridge.wave': 'sato' }, SETTINGS),
    fetch: () => fakeResponse(200, plan),
  });
  context.runSyncPreview();
  const { url, params } = record.fetches[0];
  assert.equal(url, BACKEND + '/api/v1/sync/plan');
  assert.equal(params.method, 'post');
  assert.deepEqual(plain(params.headers), expectedHeaders('ja'));
  assert.deepEqual(JSON.parse(params.payload), { spreadsheet: '1AbCspreadsheetId', lang: 'ja', sheet: '案件一覧', gid: 0, wave: 'sato' });
  recordBody('syncPlan', record.fetches[0]);

  // The service returns the plan at once (200), so the sidebar gets the data and no job id.
  const boot = record.sidebars[0].boot;
  assert.equal(boot.view, 'syncPreview');
  assert.equal(boot.jobId, null);
  assert.deepEqual(boot.data, plan);
  assertTokensAbsent(record);
});

test('sync next batch plans first, then starts a run job', () => {
  const plan = readFixture('sync_plan.ja.json');
  const accepted = readFixture('sync_run_accepted.ja.json');
  const answers = [fakeResponse(200, plan), fakeResponse(202, accepted)];
  const { context, record } = loadAddon({
    documentProperties: Object.assign({}, SETTINGS, { 'bridge.batchSize': '40' }),
    fetch: (url, params, count) => answers[count - 1],
  });
  context.runSyncNextBatch();
  assert.equal(record.fetches[0].url, BACKEND + '/api/v1/sync/plan');
  assert.deepEqual(JSON.parse(record.fetches[0].params.payload), { spreadsheet: '1AbCspreadsheetId', lang: 'ja', sheet: '案件一覧', gid: 0 });
  const boot = record.sidebars[0].boot;
  assert.equal(boot.view, 'syncRun');
  assert.deepEqual(boot.data, plan);
  assert.equal(boot.batchSize, 40);
  assert.equal(boot.sheet, '案件一覧');

  const started = plain(context.startSyncRun());
  assert.deepEqual(started, { ok: true, jobId: accepted.job_id });
  const { url, params } = record.fetches[1];
  assert.equal(url, BACKEND + '/api/v1/sync/runs');
  assert.equal(params.method, 'post');
  assert.deepEqual(plain(params.headers), expectedHeaders('ja'));
  assert.deepEqual(JSON.parse(params.payload), { spreadsheet: '1AbCspreadsheetId', lang: 'ja', sheet: '案件一覧', gid: 0, limit: 40 });
  recordBody('syncRun', record.fetches[1]);
  assertTokensAbsent(record);
});

test('sync run sends the wave of the settings', () => {
  const { context, record } = loadAddon({
    locale: 'en',
    documentProperties: Object.assign({ 'bridge.wave': 'won-deals' }, SETTINGS),
    fetch: () => fakeResponse(202, readFixture('sync_run_accepted.ja.json')),
  });
  context.startSyncRun();
  assert.deepEqual(JSON.parse(record.fetches[0].params.payload), { spreadsheet: '1AbCspreadsheetId', lang: 'en', sheet: '案件一覧', gid: 0, wave: 'won-deals', limit: 25 });
  recordBody('syncRun_wave', record.fetches[0]);
});

test('sync run in progress returns the 409 problem', () => {
  const problem = readFixture('sync_run_in_progress.en.json');
  const { context, record } = loadAddon({ locale: 'en', documentProperties: SETTINGS, fetch: () => fakeResponse(409, problem) });
  const answer = plain(context.startSyncRun());
  assert.equal(answer.ok, false);
  assert.equal(answer.status, 409);
  assert.deepEqual(answer.error, { title: problem.title, detail: problem.detail, code: 'sync-run-in-progress', status: 409 });
  // The sidebar shows it: no dialog from a sidebar call.
  assert.equal(record.alerts.length, 0);
});

test('sync plan at the daily limit shows the 429 problem', () => {
  const problem = readFixture('sync_plan_daily_limit.ja.json');
  const { context, record } = loadAddon({ documentProperties: SETTINGS, fetch: () => fakeResponse(429, problem) });
  context.runSyncNextBatch();
  assert.equal(record.alerts.length, 1);
  assert.equal(record.alerts[0].title, problem.title);
  assert.equal(record.alerts[0].prompt, problem.detail);
  assert.equal(record.sidebars.length, 0);
  assertTokensAbsent(record);
});

test('getJob passes the run result on', () => {
  const polls = readFixture('sync_run_job.ja.json');
  const { context } = loadAddon({ documentProperties: SETTINGS, fetch: (url, params, count) => fakeResponse(200, polls[count - 1]) });
  const jobId = polls[0].job_id;
  const seen = polls.map(() => plain(context.getJob(jobId)).job);
  assert.deepEqual(seen.map((job) => job.state), polls.map((poll) => poll.state));
  assert.deepEqual(seen.map((job) => job.progress), polls.map((poll) => poll.progress));
  assert.equal(seen[seen.length - 1].kind, 'sync_run');
  assert.deepEqual(seen[seen.length - 1].result, polls[polls.length - 1].result);
});

test('migration status posts the sheet request', () => {
  const status = readFixture('sync_status.en.json');
  const { context, record } = loadAddon({
    locale: 'en',
    documentProperties: Object.assign({ 'bridge.wave': 'sato' }, SETTINGS),
    fetch: () => fakeResponse(200, status),
  });
  context.showMigrationStatus();
  const { url, params } = record.fetches[0];
  assert.equal(url, BACKEND + '/api/v1/sync/status');
  assert.equal(params.method, 'post');
  assert.deepEqual(plain(params.headers), expectedHeaders('en'));
  // The status counts every row of the tab: it takes no wave.
  assert.deepEqual(JSON.parse(params.payload), { spreadsheet: '1AbCspreadsheetId', lang: 'en', sheet: '案件一覧', gid: 0 });
  recordBody('syncStatus', record.fetches[0]);
  const boot = record.sidebars[0].boot;
  assert.equal(boot.view, 'status');
  assert.deepEqual(boot.data, status);
});

// ---- Errors ----

test('problem+json detail is shown in a dialog', () => {
  const problem = {
    type: 'https://bridge.example/problems/domain-not-allowed',
    title: 'アカウントが許可されていません',
    status: 403,
    detail: 'アカウント someone@gmail.com は、このサービスを使えるドメインにありません。',
    code: 'domain-not-allowed',
  };
  const { context, record } = loadAddon({ documentProperties: SETTINGS, fetch: () => fakeResponse(403, problem) });
  context.runValidation();
  assert.equal(record.alerts.length, 1);
  assert.equal(record.alerts[0].title, problem.title);
  assert.equal(record.alerts[0].prompt, problem.detail);
  assert.equal(record.sidebars.length, 0);
  assertTokensAbsent(record);
});

test('non-JSON error body is not shown', () => {
  const html = '<html><body>502 Bad Gateway from proxy</body></html>';
  const { context, record } = loadAddon({ locale: 'en', documentProperties: SETTINGS, fetch: () => fakeResponse(502, html) });
  context.runValidation();
  assert.equal(record.alerts[0].title, 'Error');
  assert.equal(record.alerts[0].prompt, 'The service returned HTTP 502 without a reason. Try again; if it fails again, tell your administrator.');
});

test('unreachable service names the URL', () => {
  const { context, record } = loadAddon({
    locale: 'en',
    documentProperties: SETTINGS,
    fetch: () => {
      throw new Error('DNS error: bridge.example.com');
    },
  });
  context.runValidation();
  assert.equal(
    record.alerts[0].prompt,
    'Could not reach the service at https://bridge.example.com: DNS error: bridge.example.com. Check the backend URL in Settings and try again.'
  );
  assertTokensAbsent(record);
});

// ---- Jobs ----

test('getJob polls the job with a fresh token', () => {
  const report = readFixture('validation_report.ja.json');
  const answers = [jobAnswer('running', 0.3), jobAnswer('paused', 0.3, { pause_reason: 'token_expired' }), jobAnswer('done', 1, { result: report })];
  const { context, record } = loadAddon({ documentProperties: SETTINGS, fetch: (url, params, count) => answers[count - 1] });

  const first = plain(context.getJob(JOB_ID));
  assert.deepEqual(first, { ok: true, job: { id: JOB_ID, kind: 'validation', state: 'running', progress: 0.3, pauseReason: null, result: null, error: null } });
  const second = plain(context.getJob(JOB_ID));
  assert.equal(second.job.state, 'paused');
  assert.equal(second.job.pauseReason, 'token_expired');
  const third = plain(context.getJob(JOB_ID));
  assert.equal(third.job.state, 'done');
  assert.equal(third.job.result.findings.length, report.findings.length);

  assert.equal(record.fetches.length, 3);
  for (const { url, params } of record.fetches) {
    assert.equal(url, BACKEND + '/api/v1/jobs/' + JOB_ID + '?lang=ja');
    assert.equal(params.method, 'get');
    assert.deepEqual(plain(params.headers), expectedHeaders('ja'));
  }
});

test('getJob returns the failed job error', () => {
  const error = { type: 'x', title: 'シートがありません', status: 404, detail: 'タブ「案件」が見つかりません。', code: 'sheet-not-found' };
  const { context } = loadAddon({ documentProperties: SETTINGS, fetch: () => jobAnswer('failed', 0.3, { error }) });
  const answer = plain(context.getJob(JOB_ID));
  assert.equal(answer.job.state, 'failed');
  assert.deepEqual(answer.job.error, error);
});

test('getJob rejects a malformed job id', () => {
  const { context, record } = loadAddon({ documentProperties: SETTINGS });
  const answer = plain(context.getJob('../../admin'));
  assert.equal(answer.ok, false);
  assert.equal(record.fetches.length, 0);
});

test('getJob passes a 404 problem on', () => {
  const problem = { title: 'ジョブがありません', detail: 'ジョブ abc はありません。もう一度検証してください。', status: 404, code: 'job-not-found' };
  const { context } = loadAddon({ documentProperties: SETTINGS, fetch: () => fakeResponse(404, problem) });
  const answer = plain(context.getJob('abc'));
  assert.equal(answer.ok, false);
  assert.equal(answer.error.detail, problem.detail);
  assert.equal(answer.error.code, 'job-not-found');
});

// ---- selectCell ----

test('selectCell activates the cell of the tab', () => {
  const { context, spreadsheet } = loadAddon();
  assert.deepEqual(plain(context.selectCell('KPI', 'K61')), { ok: true });
  assert.deepEqual(plain(context.selectCell('案件一覧', '5:5')), { ok: true });
  assert.deepEqual(spreadsheet.activated, [{ sheet: 'KPI', range: 'K61' }, { sheet: '案件一覧', range: '5:5' }]);
  assert.equal(spreadsheet.getActiveSheet().getName(), '案件一覧');
});

test('selectCell rejects bad references and tabs', () => {
  const { context, spreadsheet } = loadAddon({ locale: 'en' });
  assert.equal(context.selectCell('KPI', '=HYPERLINK("x")').ok, false);
  assert.equal(context.selectCell('KPI', 'A0').ok, false);
  const missing = plain(context.selectCell('Nope', 'A1'));
  assert.equal(missing.error.detail, 'The tab "Nope" does not exist. Check the tab name.');
  assert.equal(spreadsheet.activated.length, 0);
});

// ---- Settings ----

function validForm(overrides) {
  return Object.assign({ backendUrl: 'https://bridge.example.com/', batchSize: '25', designSource: '', dataSheet: '', wave: '', remindersEnabled: false, ownerEmails: '', optOut: '' }, overrides);
}

const INVALID_SETTINGS = [
  { field: 'backendUrl', value: 'http://bridge.example.com', ja: 'バックエンド URL は https:// で始まり、ホスト名を含む必要があります（例: https://bridge.example.com）。入力値: http://bridge.example.com' },
  { field: 'backendUrl', value: 'https://', ja: null },
  { field: 'backendUrl', value: 'bridge.example.com', ja: null },
  { field: 'backendUrl', value: '', ja: null },
  { field: 'backendUrl', value: 'https://bridge example.com', ja: null },
  { field: 'batchSize', value: '0', ja: 'バッチサイズは 1〜100 の整数で入力してください。入力値: 0' },
  { field: 'batchSize', value: '101', ja: null },
  { field: 'batchSize', value: '2.5', ja: null },
  { field: 'batchSize', value: '-3', ja: null },
  { field: 'batchSize', value: 'abc', ja: null },
  { field: 'batchSize', value: '', ja: null },
  { field: 'ownerEmails', value: '田中 彩 = aya@example.co.jp\n佐藤 健 sato@example.co.jp', ja: '担当者のメールアドレスの 2 行目が「担当者名 = メールアドレス」の形ではありません: 佐藤 健 sato@example.co.jp' },
  { field: 'optOut', value: 'not-an-address', ja: '「not-an-address」はメールアドレスではありません。' },
];

for (const { field, value, ja } of INVALID_SETTINGS) {
  test('settings reject ' + field + ' ' + JSON.stringify(value), () => {
    const { context } = loadAddon();
    const form = validForm({ [field]: value });
    const checkedJa = plain(context.validateSettings_(form, 'ja'));
    assert.deepEqual(Object.keys(checkedJa.errors), [field]);
    if (ja) {
      assert.equal(checkedJa.errors[field], ja);
    }
    const checkedEn = plain(context.validateSettings_(form, 'en'));
    assert.deepEqual(Object.keys(checkedEn.errors), [field]);
    assert.notEqual(checkedEn.errors[field], checkedJa.errors[field]);
  });
}

test('settings accept the batch size limits', () => {
  const { context } = loadAddon();
  for (const batchSize of ['1', '100', ' 7 ']) {
    const checked = plain(context.validateSettings_(validForm({ batchSize }), 'en'));
    assert.deepEqual(checked.errors, {});
    assert.equal(checked.settings.batchSize, Number(batchSize));
  }
  const english = plain(context.validateSettings_(validForm({ batchSize: '0' }), 'en'));
  assert.equal(english.errors.batchSize, 'The batch size must be a whole number from 1 to 100. Entered: 0');
});

test('saveSettings stores settings and reloads them', () => {
  const { context, documentProperties, record } = loadAddon({ userEmail: 'Admin@Example.co.jp' });
  const form = validForm({ backendUrl: 'https://bridge.example.com/api/', batchSize: '30', wave: 'cs', designSource: '設計', optOut: 'A@example.co.jp\nb@example.co.jp', optOutMe: true });
  const answer = plain(context.saveSettings(form));
  assert.equal(answer.ok, true);
  assert.equal(answer.message, '設定を保存しました。');
  assert.equal(documentProperties.getProperty('bridge.backendUrl'), 'https://bridge.example.com/api');
  const settings = plain(context.loadSettings_());
  assert.deepEqual(settings, {
    backendUrl: 'https://bridge.example.com/api',
    designSource: '設計',
    dataSheet: '',
    batchSize: 30,
    wave: 'cs',
    remindersEnabled: false,
    ownerEmails: '',
    optOut: ['a@example.co.jp', 'b@example.co.jp', 'admin@example.co.jp'],
  });
  assert.equal(record.triggers.length, 0);
});

test('saveSettings with errors stores nothing', () => {
  const { context, documentProperties } = loadAddon({ locale: 'en' });
  const answer = plain(context.saveSettings(validForm({ batchSize: '500' })));
  assert.equal(answer.ok, false);
  assert.equal(answer.message, 'Some fields are invalid. Fix the fields marked in red.');
  assert.deepEqual(Object.keys(answer.errors), ['batchSize']);
  assert.deepEqual(documentProperties.getProperties(), {});
});

test('showSettings opens the dialog with current settings', () => {
  const { context, record } = loadAddon({ locale: 'en', userEmail: 'me@example.co.jp', documentProperties: Object.assign({ 'bridge.optOut': '["me@example.co.jp"]' }, SETTINGS) });
  context.showSettings();
  assert.equal(record.dialogs.length, 1);
  assert.equal(record.dialogs[0].title, 'HubSpot migration bridge settings');
  const boot = record.dialogs[0].output.boot;
  assert.equal(boot.settings.backendUrl, BACKEND);
  assert.equal(boot.optOutMe, true);
  assert.equal(boot.messages.settingsSave, 'Save');
  assert.equal(record.fetches.length, 0);
});

// ---- Reminder trigger ----

test('enabling reminders installs one daily trigger', () => {
  const { context, record, userProperties } = loadAddon();
  const first = plain(context.saveSettings(validForm({ remindersEnabled: true })));
  assert.equal(first.message, '設定を保存しました。 毎日のリマインダーを有効にしました。');
  assert.equal(record.triggers.length, 1);
  const trigger = record.triggers[0];
  assert.equal(trigger.spec.functionName, 'sendDailyReminders');
  assert.deepEqual(trigger.spec.calls, ['timeBased', 'everyDays(1)', 'atHour(8)']);
  assert.equal(userProperties.getProperty('bridge.reminderTrigger.' + trigger.getUniqueId()), '1AbCspreadsheetId');
  assert.equal(typeof context.sendDailyReminders, 'function');

  const second = plain(context.saveSettings(validForm({ remindersEnabled: true })));
  assert.equal(second.message, '設定を保存しました。');
  assert.equal(record.triggers.length, 1);

  const third = plain(context.saveSettings(validForm({ remindersEnabled: false })));
  assert.equal(third.message, '設定を保存しました。 毎日のリマインダーを停止しました。');
  assert.equal(record.triggers.length, 0);
  assert.equal(record.deletedTriggers.length, 1);
  assert.equal(userProperties.getProperty('bridge.reminderTrigger.' + trigger.getUniqueId()), null);
});

// ---- Reminder mails ----

const OWNER_EMAILS = ['田中 彩 = aya@example.co.jp', '佐藤 健 = ken@example.co.jp, en', '鈴木 美咲 = misaki@example.co.jp', '(no owner) = nobody@example.co.jp'].join('\n');
const REMINDER_SETTINGS = Object.assign({}, SETTINGS, {
  'bridge.remindersEnabled': 'true',
  'bridge.ownerEmails': OWNER_EMAILS,
  'bridge.optOut': '["misaki@example.co.jp"]',
});

/** Answers the KPI route with a job per language and the job with its fixture once polled twice. */
function kpiBackend() {
  const jobs = {};
  return (url, params) => {
    if (url.endsWith('/api/v1/kpis')) {
      const lang = JSON.parse(params.payload).lang;
      const id = 'kpi' + lang + 'job';
      jobs[id] = { lang, polls: 0 };
      return accepted(id);
    }
    const id = url.split('/jobs/')[1].split('?')[0];
    const job = jobs[id];
    job.polls += 1;
    if (job.polls < 2) {
      return jobAnswer('running', 0.5, { job_id: id, kind: 'kpi' });
    }
    return jobAnswer('done', 1, { job_id: id, kind: 'kpi', result: readFixture('kpi_report.' + job.lang + '.json') });
  };
}

function runReminders(addon, date) {
  const triggerUid = 'trigger-42';
  addon.userProperties.setProperty('bridge.reminderTrigger.' + triggerUid, '1AbCspreadsheetId');
  return plain(addon.context.sendReminders_(addon.spreadsheet, addon.documentProperties, date));
}

test('reminders mail each owner their own items', () => {
  const addon = loadAddon({ documentProperties: REMINDER_SETTINGS, fetch: kpiBackend() });
  const outcome = runReminders(addon, new Date('2024-06-02T23:30:00Z'));
  const { record } = addon;

  const ja = readFixture('kpi_report.ja.json').todo;
  const en = readFixture('kpi_report.en.json').todo;
  const tanaka = ja.filter((item) => item.owner === '田中 彩');
  const sato = en.filter((item) => item.owner === '佐藤 健');
  assert.ok(tanaka.length > 0, 'the fixture has items for 田中 彩');
  assert.ok(sato.length > 0, 'the fixture has items for 佐藤 健');

  const byRecipient = Object.fromEntries(record.mails.map((mail) => [mail.to, mail]));
  assert.deepEqual(Object.keys(byRecipient).sort(), ['aya@example.co.jp', 'ken@example.co.jp']);
  assert.deepEqual(outcome, { sent: 2, skipped: 1 });

  const aya = byRecipient['aya@example.co.jp'];
  assert.equal(aya.subject, '[案件管理] あなたの要対応: ' + tanaka.length + ' 件');
  // 23:30 UTC on June 2 is June 3 in Tokyo.
  assert.ok(aya.body.startsWith('田中 彩 さん\n\n「案件管理」で、あなたが担当する行に次の ' + tanaka.length + ' 件の要対応があります（2024-06-03 時点）。'));
  for (const item of tanaka) {
    assert.ok(aya.body.includes(item.message), 'missing item of row ' + item.row);
  }
  assert.ok(aya.body.includes('「自分にはリマインダーを送らない」にチェック'), 'the opt-out line is missing');
  assert.ok(aya.body.includes('https://docs.google.com/spreadsheets/d/1AbCspreadsheetId/edit'));
  const otherOwners = ja.filter((item) => item.owner !== '田中 彩');
  for (const item of otherOwners) {
    assert.ok(!aya.body.includes(item.message), 'row ' + item.row + ' of ' + item.owner + ' leaked into another owner\'s mail');
  }

  const ken = byRecipient['ken@example.co.jp'];
  assert.equal(ken.subject, '[案件管理] Your to-do list: ' + sato.length + ' items');
  assert.ok(ken.body.startsWith('Hello 佐藤 健,'));
  for (const item of sato) {
    assert.ok(ken.body.includes(item.message));
  }
  assert.ok(ken.body.includes('tick "Send me no reminder e-mails"'));

  // One KPI job per language, each polled until done, sleeping between polls.
  const posts = record.fetches.filter((call) => call.params.method === 'post');
  assert.deepEqual(posts.map((call) => JSON.parse(call.params.payload)), [
    { spreadsheet: '1AbCspreadsheetId', lang: 'ja' },
    { spreadsheet: '1AbCspreadsheetId', lang: 'en' },
  ]);
  recordBody('kpis_reminder', posts[0]);
  assert.equal(record.sleeps.length, 2);
  assertTokensAbsent(record);
});

test('reminders send at most one mail a day', () => {
  const addon = loadAddon({ documentProperties: REMINDER_SETTINGS, fetch: kpiBackend() });
  runReminders(addon, new Date('2024-06-03T01:00:00Z'));
  assert.equal(addon.record.mails.length, 2);

  const again = runReminders(addon, new Date('2024-06-03T10:00:00Z'));
  assert.equal(addon.record.mails.length, 2);
  assert.equal(again.sent, 0);

  const nextDay = runReminders(addon, new Date('2024-06-04T01:00:00Z'));
  assert.equal(nextDay.sent, 2);
  assert.equal(addon.record.mails.length, 4);
  assert.deepEqual(JSON.parse(addon.documentProperties.getProperty('bridge.reminderLastSent')), {
    'aya@example.co.jp': '2024-06-04',
    'ken@example.co.jp': '2024-06-04',
  });
});

test('reminders skip opted-out owners', () => {
  const settings = Object.assign({}, REMINDER_SETTINGS, { 'bridge.optOut': '["misaki@example.co.jp","aya@example.co.jp","ken@example.co.jp"]' });
  const addon = loadAddon({ documentProperties: settings, fetch: kpiBackend() });
  const outcome = runReminders(addon, new Date('2024-06-03T01:00:00Z'));
  assert.equal(addon.record.mails.length, 0);
  assert.deepEqual(outcome, { sent: 0, skipped: 3 });
});

test('reminders off sends no request', () => {
  const settings = Object.assign({}, REMINDER_SETTINGS, { 'bridge.remindersEnabled': 'false' });
  const addon = loadAddon({ documentProperties: settings, fetch: kpiBackend() });
  runReminders(addon, new Date('2024-06-03T01:00:00Z'));
  assert.equal(addon.record.fetches.length, 0);
  assert.equal(addon.record.mails.length, 0);
});

test('trigger handler finds its spreadsheet by trigger id', () => {
  const addon = loadAddon({ documentProperties: REMINDER_SETTINGS, fetch: kpiBackend(), noActiveSpreadsheet: true });
  addon.userProperties.setProperty('bridge.reminderTrigger.trigger-7', '1AbCspreadsheetId');
  const outcome = plain(addon.context.sendDailyReminders({ triggerUid: 'trigger-7', authMode: 'FULL' }));
  assert.equal(outcome.sent, 2);
});

test('reminder job failure is logged, not mailed', () => {
  const problem = { title: '設計に誤りがあります', detail: '設計に 1 件の問題があります。', status: 422, code: 'design-invalid' };
  const addon = loadAddon({ documentProperties: REMINDER_SETTINGS, fetch: () => fakeResponse(422, problem) });
  const outcome = runReminders(addon, new Date('2024-06-03T01:00:00Z'));
  assert.deepEqual(outcome, { sent: 0, skipped: 0 });
  assert.equal(addon.record.mails.length, 0);
  const errors = addon.record.logs.filter((entry) => entry.level === 'error');
  assert.equal(errors.length, 2);
  assert.ok(errors[0].args.includes(problem.detail));
  assertTokensAbsent(addon.record);
});

test.after(() => {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUTPUT_DIR, 'request_bodies.json'), JSON.stringify(sentBodies, null, 1));
});
