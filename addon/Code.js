/**
 * Google Sheets add-on of the Sheets → HubSpot bridge: the menu, the calls to
 * the bridge service, the sidebar and the cell selection behind its links.
 *
 * Every call to the service carries two tokens. `Authorization: Bearer` contains
 * the user's Google ID token (ScriptApp.getIdentityToken(), scope openid): the
 * service verifies it against its audience and its allow-list of e-mail
 * domains. `X-Goog-OAuth-Token` contains the user's OAuth access token (scope
 * spreadsheets): the service reads and writes the sheet as this user, so it can
 * never reach a sheet the user cannot open. Neither token is logged or shown.
 *
 * UrlFetchApp gives up after about 60 s and an Apps Script execution ends at
 * 6 minutes, so work that can take longer runs as a job on the service: the
 * menu function only starts it (the service answers 202 with a job id at once)
 * and the sidebar polls GET /jobs/{id} through google.script.run, one short
 * execution per poll. Validation, KPIs and sync runs are jobs; the sync plan
 * and the migration status are answered at once (200).
 *
 * Settings.js contains the settings dialog and Reminders.js the daily e-mails.
 * Apps Script loads all three files into one global scope.
 */

var API_PREFIX = '/api/v1';
var ACCESS_TOKEN_HEADER = 'X-Goog-OAuth-Token';

// The service's routes (bridge/web/*.py) in one table, so that they are easy
// to align with the service. {name} parts are filled from the call's params.
// The migration status uses POST because only the POST form takes the design
// tab's YAML, while GET /sync/status reads the bundled design.
// NOTE: the sync plan reads the whole tab and the portal within one request,
// so a tab too large to plan in about 60 s fails with errorUnreachable.
var ROUTES = {
  validate: { method: 'post', path: '/validations' },
  kpis: { method: 'post', path: '/kpis' },
  syncPlan: { method: 'post', path: '/sync/plan' },
  syncRun: { method: 'post', path: '/sync/runs' },
  syncStatus: { method: 'post', path: '/sync/status' },
  job: { method: 'get', path: '/jobs/{job_id}' },
};

// The sidebar polls a job this often, and each poll is one short execution.
var SIDEBAR_POLL_INTERVAL_MS = 2000;
var JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
// A cell (K61), a whole row (61:61) or a cell range (A2:C2).
var A1_PATTERN = /^(?:[A-Z]{1,3}[1-9][0-9]{0,6}(?::[A-Z]{1,3}[1-9][0-9]{0,6})?|[1-9][0-9]{0,6}:[1-9][0-9]{0,6})$/;

// Every text a user reads. Apps Script cannot read the service's gettext
// catalogs (bridge/translations), so the add-on keeps its own table; the
// service's own texts (problem details, finding messages) arrive already in
// the language the request names. A test checks that both languages have the
// same keys.
var MESSAGES = {
  ja: {
    addonName: 'HubSpot 移行ブリッジ',
    menuValidate: '検証する',
    menuKpis: 'KPIを更新',
    menuSyncPreview: '同期プレビュー',
    menuSyncNextBatch: '次のバッチを同期',
    menuMigrationStatus: '移行状況',
    menuSettings: '設定',
    sidebarTitle: 'HubSpot 移行ブリッジ',
    settingsTitle: 'HubSpot 移行ブリッジの設定',
    errorTitle: 'エラー',
    errorNoBackend: 'バックエンドの URL が設定されていません。メニューの「設定」で URL を入力してください。',
    errorUnreachable: 'サービス（{url}）に接続できませんでした: {reason}。「設定」のバックエンド URL を確認して、もう一度お試しください。',
    errorHttp: 'サービスが HTTP {status} を返しましたが、理由がありません。もう一度お試しください。繰り返す場合は管理者に連絡してください。',
    errorNotJson: 'サービスの応答が JSON ではありません（HTTP {status}）。「設定」のバックエンド URL が正しいか確認してください。',
    errorDesignTabMissing: '設計のタブ「{tab}」がありません。「設定」の設計ソースを直してください。',
    errorDesignTabEmpty: '設計のタブ「{tab}」の A 列が空です。A 列に設計の YAML を 1 行ずつ入力してください。',
    errorSheetMissing: 'タブ「{sheet}」がありません。タブ名を確認してください。',
    errorCellReference: '「{a1}」はセルや行の参照ではありません。',
    errorJobId: '「{jobId}」はジョブ ID ではありません。操作をメニューからやり直してください。',
    settingsBackendUrl: 'バックエンド URL',
    settingsBackendUrlHelp: 'https:// で始まるサービスのアドレス（例: https://bridge.example.com）',
    settingsDesignSource: '設計ソース',
    settingsDesignSourceHelp: '設計の YAML を A 列に持つタブの名前。空欄: サービスに同梱の設計',
    settingsDataSheet: 'データのタブ',
    settingsDataSheetHelp: '検証・同期するタブの名前。空欄: 開いているタブ',
    settingsBatchSize: 'バッチサイズ',
    settingsBatchSizeHelp: '1 回の同期で HubSpot に送る行数（1〜100）',
    settingsWave: 'ウェーブ',
    settingsWaveHelp: '同期するウェーブの名前（例: パイプラインや担当者ごと）。空欄: すべての行',
    settingsReminders: '毎日のリマインダー',
    settingsRemindersHelp: '毎朝 8 時ごろに検証し、担当者ごとに要対応の一覧をメールで送ります（1 人 1 日 1 通まで）',
    settingsOwnerEmails: '担当者のメールアドレス',
    settingsOwnerEmailsHelp: '1 行に 1 人:「担当者名 = メールアドレス」。英語で送る人は末尾に「, en」',
    settingsOptOut: 'リマインダーを送らないアドレス',
    settingsOptOutHelp: '1 行に 1 つ',
    settingsOptOutMe: '自分にはリマインダーを送らない',
    settingsSave: '保存',
    settingsCancel: 'キャンセル',
    settingsSaving: '保存しています…',
    settingsSaved: '設定を保存しました。',
    settingsFixErrors: '入力に誤りがあります。赤字の項目を直してください。',
    settingsBackendUrlInvalid: 'バックエンド URL は https:// で始まり、ホスト名を含む必要があります（例: https://bridge.example.com）。入力値: {value}',
    settingsBatchSizeInvalid: 'バッチサイズは 1〜100 の整数で入力してください。入力値: {value}',
    settingsOwnerEmailsInvalid: '担当者のメールアドレスの {line} 行目が「担当者名 = メールアドレス」の形ではありません: {text}',
    settingsOptOutInvalid: '「{value}」はメールアドレスではありません。',
    settingsTextTooLong: '{field}が長すぎます（{max} 文字まで）。',
    loading: '読み込んでいます…',
    jobQueued: '順番待ちです…',
    jobRunning: '処理しています… {percent}%',
    jobDone: '完了しました（{percent}%）',
    jobPaused: 'Google のログインの有効期限が切れたため一時停止しました。再開しています…',
    jobFailed: '処理に失敗しました',
    pollTimeout: '30 分たっても処理が終わりません。あとでメニューからやり直してください。',
    jobTimeout: 'ジョブ {jobId} が時間内に終わりませんでした。翌日にもう一度実行します。',
    retry: 'やり直す',
    validationTitle: '検証結果',
    sheetAsOf: 'タブ「{sheet}」・基準日 {asOf}',
    sheetName: 'タブ「{sheet}」',
    rowsChecked: '検証した行',
    rowsWithErrors: 'エラーのある行',
    rowsWithWarnings: '警告のある行',
    rowsOk: '問題のない行',
    errors: 'エラー',
    warnings: '警告',
    byCode: '種類別',
    grades: '評価の分布',
    findings: '指摘',
    findingsMore: 'ほかに {count} 件の指摘があります。シートの結果列で確認できます。',
    noFindings: '指摘はありません。',
    severityError: 'エラー',
    severityWarning: '警告',
    suggestion: '候補: {value}',
    kpiTitle: 'KPI のハイライト',
    kpiRows: '対象の行',
    kpiRevenueTotal: '売上合計',
    kpiKeyShare: '重要顧客の売上比率',
    kpiSatisfaction: '満足度の平均',
    kpiScore: 'スコアの平均',
    kpiRetention: '継続率',
    kpiChurn: '解約率',
    kpiTodo: '要対応',
    kpiStale: '滞留している案件',
    kpiContactOverdue: '連絡が遅れている案件',
    kpiTodoCount: '{count} 件',
    kpiTabsHint: '詳しい表は「KPI」タブと「要対応」タブにあります。',
    historyMovementTitle: '評価の変化（{start} → {end}）',
    historyWorsened: '悪化',
    historyImproved: '改善',
    historyUnchanged: '変化なし',
    historyMatrixCorner: '前 \\ 後',
    historyMatrixLabel: '評価の変化の表。行が {start} の評価、列が {end} の評価です。',
    historyTrendsTitle: '顧客ごとのスコア推移',
    historyTrendsHint: 'スコアが大きく下がった顧客から順に表示しています。',
    historyTrendChange: '{change} 点',
    historyTrendLabel: '{key}（{owner}）のスコア推移: {scores}',
    historyTrendsMore: '…ほか {count} 件',
    historyCalendarTitle: '今後のサポート予定',
    historyCalendarLabel: '月ごとの契約更新と予定アクションの件数',
    historyMonth: '月',
    historyRenewals: '契約更新',
    historyRenewalAmount: '更新金額',
    historyPlannedActions: '予定アクション',
    historyNone: '履歴はまだありません。検証を別の日にもう一度実行すると、評価とスコアの推移が表示されます。',
    syncPlanTitle: '同期プレビュー',
    syncRunTitle: '次のバッチを同期',
    statusTitle: '移行状況',
    wave: 'ウェーブ: {wave}',
    allRows: 'すべての行',
    object: 'オブジェクト',
    object_deal: '取引',
    object_company: '会社',
    object_contact: 'コンタクト',
    action_create: '作成',
    action_update: '更新',
    action_unchanged: '変更なし',
    action_blocked: 'ブロック',
    removedRows: 'シートから消えた行: {count}（HubSpot では削除しません）',
    blockedHint: 'ブロックされた行はエラーを直すと同期できます。',
    syncConfirm: '次の {count} 行を HubSpot に送ります。よろしいですか？',
    syncConfirmButton: '同期する',
    syncCancelButton: 'やめる',
    syncCancelled: '同期を取りやめました。',
    syncNothing: '同期できる行はありません。',
    syncDone: '同期が終わりました',
    syncFailedRows: '同期できなかった行',
    syncMessages: '行ごとの詳細',
    planMessages: '確認が必要な行',
    blockedRows: 'ブロックされた行',
    dailyLimitHint: '上限に達する前に送った行は記録されています。次の同期はその続きから始まります。',
    count_selected: '送信した行',
    count_synced: '同期済み',
    count_created: '作成',
    count_updated: '更新',
    count_rejected: 'HubSpot が拒否',
    count_conflicts: '競合',
    count_pending: '未送信',
    count_skipped: 'スキップ',
    count_batches: 'バッチ数',
    rowStatus_rejected: 'HubSpot が受け付けませんでした',
    rowStatus_conflict: 'HubSpot 側で変更されているため送っていません',
    rowStatus_association_failed: '会社やコンタクトとの関連付けに失敗しました',
    statusSynced: '{synced} / {total} 行を同期済み（{percent}%）',
    statusActiveRun: '同期を実行中です（実行 {runId}）。終わってから次のバッチを同期してください。',
    status_synced: '同期済み',
    status_pending: '未同期',
    status_blocked: '対象外（エラー）',
    status_failed: '失敗',
    status_conflict: '競合',
    status_association_failed: '同期済み（関連付け未完了）',
    status_removed: 'シートから消えた行',
    rowLink: '{row} 行目',
    reminderSubject: '[{spreadsheet}] あなたの要対応: {count} 件',
    reminderIntro: '{owner} さん\n\n「{spreadsheet}」で、あなたが担当する行に次の {count} 件の要対応があります（{date} 時点）。',
    reminderItem: '・{row} 行目{stage}: {message}',
    reminderStage: '（{stage}）',
    reminderOpen: 'スプレッドシートを開く: {url}',
    reminderOptOut: 'このメールを止めるには、スプレッドシートで［拡張機能］>［{addon}］>［設定］を開き、「自分にはリマインダーを送らない」にチェックを入れて保存してください。',
    remindersInstalled: '毎日のリマインダーを有効にしました。',
    remindersRemoved: '毎日のリマインダーを停止しました。',
  },
  en: {
    addonName: 'HubSpot migration bridge',
    menuValidate: 'Validate',
    menuKpis: 'Update KPIs',
    menuSyncPreview: 'Sync preview',
    menuSyncNextBatch: 'Sync next batch',
    menuMigrationStatus: 'Migration status',
    menuSettings: 'Settings',
    sidebarTitle: 'HubSpot migration bridge',
    settingsTitle: 'HubSpot migration bridge settings',
    errorTitle: 'Error',
    errorNoBackend: 'No backend URL is set. Enter it under Settings in the add-on menu.',
    errorUnreachable: 'Could not reach the service at {url}: {reason}. Check the backend URL in Settings and try again.',
    errorHttp: 'The service returned HTTP {status} without a reason. Try again; if it fails again, tell your administrator.',
    errorNotJson: 'The service returned a response that is not JSON (HTTP {status}). Check the backend URL in Settings.',
    errorDesignTabMissing: 'The design tab "{tab}" does not exist. Fix the design source in Settings.',
    errorDesignTabEmpty: 'Column A of the design tab "{tab}" is empty. Put the design YAML into column A, one line per cell.',
    errorSheetMissing: 'The tab "{sheet}" does not exist. Check the tab name.',
    errorCellReference: '"{a1}" is not a cell or row reference.',
    errorJobId: '"{jobId}" is not a job id. Start the action again from the menu.',
    settingsBackendUrl: 'Backend URL',
    settingsBackendUrlHelp: 'Address of the service, starting with https:// (e.g. https://bridge.example.com)',
    settingsDesignSource: 'Design source',
    settingsDesignSourceHelp: 'Name of the tab whose column A holds the design YAML. Blank: the design bundled with the service',
    settingsDataSheet: 'Data tab',
    settingsDataSheetHelp: 'Name of the tab to validate and sync. Blank: the open tab',
    settingsBatchSize: 'Batch size',
    settingsBatchSizeHelp: 'Rows sent to HubSpot per sync (1 to 100)',
    settingsWave: 'Wave',
    settingsWaveHelp: 'Name of the wave to sync (e.g. one pipeline or one owner). Blank: all rows',
    settingsReminders: 'Daily reminders',
    settingsRemindersHelp: 'Validates every morning at about 8:00 and e-mails each owner their to-do list (at most one e-mail per owner a day)',
    settingsOwnerEmails: 'Owner e-mail addresses',
    settingsOwnerEmailsHelp: 'One owner per line: "owner name = e-mail". Add ", en" or ", ja" to choose the language',
    settingsOptOut: 'Addresses that get no reminders',
    settingsOptOutHelp: 'One address per line',
    settingsOptOutMe: 'Send me no reminder e-mails',
    settingsSave: 'Save',
    settingsCancel: 'Cancel',
    settingsSaving: 'Saving…',
    settingsSaved: 'Settings saved.',
    settingsFixErrors: 'Some fields are invalid. Fix the fields marked in red.',
    settingsBackendUrlInvalid: 'The backend URL must start with https:// and name a host (e.g. https://bridge.example.com). Entered: {value}',
    settingsBatchSizeInvalid: 'The batch size must be a whole number from 1 to 100. Entered: {value}',
    settingsOwnerEmailsInvalid: 'Line {line} of the owner e-mail addresses is not "owner name = e-mail": {text}',
    settingsOptOutInvalid: '"{value}" is not an e-mail address.',
    settingsTextTooLong: '{field} is too long (at most {max} characters).',
    loading: 'Loading…',
    jobQueued: 'Waiting to start…',
    jobRunning: 'Working… {percent}%',
    jobDone: 'Done ({percent}%)',
    jobPaused: 'Paused because your Google sign-in expired. Resuming…',
    jobFailed: 'The job failed',
    pollTimeout: 'The job has not finished after 30 minutes. Try again later from the menu.',
    jobTimeout: 'Job {jobId} did not finish in time. It runs again tomorrow.',
    retry: 'Try again',
    validationTitle: 'Validation result',
    sheetAsOf: 'Tab "{sheet}", as of {asOf}',
    sheetName: 'Tab "{sheet}"',
    rowsChecked: 'Rows checked',
    rowsWithErrors: 'Rows with errors',
    rowsWithWarnings: 'Rows with warnings',
    rowsOk: 'Rows without problems',
    errors: 'Errors',
    warnings: 'Warnings',
    byCode: 'By code',
    grades: 'Grades',
    findings: 'Findings',
    findingsMore: '{count} more findings are in the sheet\'s result columns.',
    noFindings: 'No findings.',
    severityError: 'Error',
    severityWarning: 'Warning',
    suggestion: 'Suggestion: {value}',
    kpiTitle: 'KPI highlights',
    kpiRows: 'Rows',
    kpiRevenueTotal: 'Total revenue',
    kpiKeyShare: 'Key clients\' share of revenue',
    kpiSatisfaction: 'Mean satisfaction',
    kpiScore: 'Mean score',
    kpiRetention: 'Retention rate',
    kpiChurn: 'Churn rate',
    kpiTodo: 'To-do',
    kpiStale: 'Deals stale in their stage',
    kpiContactOverdue: 'Deals with contact overdue',
    kpiTodoCount: '{count} items',
    kpiTabsHint: 'The full tables are in the KPI and To-do tabs.',
    historyMovementTitle: 'Grade movement ({start} → {end})',
    historyWorsened: 'Worse grade',
    historyImproved: 'Better grade',
    historyUnchanged: 'Same grade',
    historyMatrixCorner: 'From \\ to',
    historyMatrixLabel: 'Grade movement: rows are the grades on {start}, columns the grades on {end}.',
    historyTrendsTitle: 'Score trend per client',
    historyTrendsHint: 'Clients whose score dropped most come first.',
    historyTrendChange: '{change} points',
    historyTrendLabel: 'Score trend of {key} ({owner}): {scores}',
    historyTrendsMore: '… and {count} more',
    historyCalendarTitle: 'Support calendar',
    historyCalendarLabel: 'Renewals and planned actions per month',
    historyMonth: 'Month',
    historyRenewals: 'Renewals',
    historyRenewalAmount: 'Renewal amount',
    historyPlannedActions: 'Planned actions',
    historyNone: 'No history yet. Validate the sheet again on another day to see how grades and scores move.',
    syncPlanTitle: 'Sync preview',
    syncRunTitle: 'Sync next batch',
    statusTitle: 'Migration status',
    wave: 'Wave: {wave}',
    allRows: 'All rows',
    object: 'Object',
    object_deal: 'Deals',
    object_company: 'Companies',
    object_contact: 'Contacts',
    action_create: 'Create',
    action_update: 'Update',
    action_unchanged: 'Unchanged',
    action_blocked: 'Blocked',
    removedRows: 'Rows gone from the sheet: {count} (never deleted in HubSpot)',
    blockedHint: 'Blocked rows sync once their errors are fixed.',
    syncConfirm: 'Send the next {count} rows to HubSpot?',
    syncConfirmButton: 'Sync',
    syncCancelButton: 'Cancel',
    syncCancelled: 'Sync cancelled.',
    syncNothing: 'No row is ready to sync.',
    syncDone: 'Sync finished',
    syncFailedRows: 'Rows that failed to sync',
    syncMessages: 'Details by row',
    planMessages: 'Rows to check',
    blockedRows: 'Blocked rows',
    dailyLimitHint: 'The rows sent before the limit are recorded. The next sync continues after them.',
    count_selected: 'Rows sent',
    count_synced: 'Synced',
    count_created: 'Created',
    count_updated: 'Updated',
    count_rejected: 'Rejected by HubSpot',
    count_conflicts: 'Conflicts',
    count_pending: 'Not sent',
    count_skipped: 'Skipped',
    count_batches: 'Batches',
    rowStatus_rejected: 'HubSpot rejected the row',
    rowStatus_conflict: 'Not sent: changed in HubSpot since the last sync',
    rowStatus_association_failed: 'Linking to the company or contact failed',
    statusSynced: '{synced} of {total} rows synced ({percent}%)',
    statusActiveRun: 'A sync is running (run {runId}). Sync the next batch once it has finished.',
    status_synced: 'Synced',
    status_pending: 'Not synced',
    status_blocked: 'Blocked (errors)',
    status_failed: 'Failed',
    status_conflict: 'Conflict',
    status_association_failed: 'Synced, not linked',
    status_removed: 'Rows gone from the sheet',
    rowLink: 'Row {row}',
    reminderSubject: '[{spreadsheet}] Your to-do list: {count} items',
    reminderIntro: 'Hello {owner},\n\nThe rows you own in "{spreadsheet}" have these {count} open items (as of {date}).',
    reminderItem: '- Row {row}{stage}: {message}',
    reminderStage: ' ({stage})',
    reminderOpen: 'Open the spreadsheet: {url}',
    reminderOptOut: 'To stop these e-mails, open the spreadsheet, choose Extensions > {addon} > Settings, tick "Send me no reminder e-mails" and save.',
    remindersInstalled: 'Daily reminders are on.',
    remindersRemoved: 'Daily reminders are off.',
  },
};

// ---- Language and texts -------------------------------------------------

/** Returns 'ja' for a Japanese locale (ja, ja_JP, ja-JP) and 'en' for any other. */
function languageOf_(locale) {
  return /^ja(?:[-_]|$)/i.test(String(locale || '')) ? 'ja' : 'en';
}

function userLanguage_() {
  return languageOf_(Session.getActiveUserLocale());
}

/** Formats MESSAGES[lang][key], replacing each {name} with params[name]. */
function message_(lang, key, params) {
  var table = MESSAGES[lang] || MESSAGES.en;
  var template = table[key];
  if (template === undefined) {
    throw new Error('no message ' + key);
  }
  return template.replace(/\{(\w+)\}/g, function (whole, name) {
    return params && params[name] !== undefined && params[name] !== null ? String(params[name]) : whole;
  });
}

/** An error whose message a user can read and act on; shown as it is. */
function UserError_(title, detail) {
  this.name = 'UserError_';
  this.title = title;
  this.detail = detail;
  this.message = detail;
}
UserError_.prototype = Object.create(Error.prototype);

// ---- Menu -----------------------------------------------------------------

/**
 * Builds the add-on menu in the user's language. Runs without authorisation
 * (AuthMode.NONE) when the add-on is not yet used in this file, so it reads
 * nothing but the locale and calls no service.
 */
function onOpen(e) {
  var lang = userLanguage_();
  SpreadsheetApp.getUi()
    .createAddonMenu()
    .addItem(message_(lang, 'menuValidate'), 'runValidation')
    .addItem(message_(lang, 'menuKpis'), 'runKpis')
    .addSeparator()
    .addItem(message_(lang, 'menuSyncPreview'), 'runSyncPreview')
    .addItem(message_(lang, 'menuSyncNextBatch'), 'runSyncNextBatch')
    .addItem(message_(lang, 'menuMigrationStatus'), 'showMigrationStatus')
    .addSeparator()
    .addItem(message_(lang, 'menuSettings'), 'showSettings')
    .addToUi();
}

function onInstall(e) {
  onOpen(e);
}

// ---- Calls to the service ---------------------------------------------------

/** Builds the URL of a route: backend URL + API prefix + path, with params and query. */
function routeUrl_(backendUrl, route, params, query) {
  var path = route.path.replace(/\{(\w+)\}/g, function (whole, name) {
    return encodeURIComponent(String(params[name]));
  });
  var url = backendUrl.replace(/\/+$/, '') + API_PREFIX + path;
  var pairs = Object.keys(query || {})
    .filter(function (name) {
      return query[name] !== null && query[name] !== undefined && query[name] !== '';
    })
    .map(function (name) {
      return encodeURIComponent(name) + '=' + encodeURIComponent(String(query[name]));
    });
  return pairs.length ? url + '?' + pairs.join('&') : url;
}

/**
 * Sends one request to the service and returns {ok: true, status, data} for
 * a 2xx response, or {ok: false, status, error: {title, detail, code}} with
 * texts the user can read. Never throws for an HTTP status.
 */
function callService_(routeName, lang, options) {
  options = options || {};
  var settings = loadSettings_();
  if (!settings.backendUrl) {
    return failure_(0, message_(lang, 'errorTitle'), message_(lang, 'errorNoBackend'), 'no-backend');
  }
  var route = ROUTES[routeName];
  var url = routeUrl_(settings.backendUrl, route, options.params || {}, options.query);
  var request = {
    method: route.method,
    headers: {
      Authorization: 'Bearer ' + ScriptApp.getIdentityToken(),
      'Accept-Language': lang,
      Accept: 'application/json, application/problem+json',
    },
    muteHttpExceptions: true,
    followRedirects: false,
  };
  request.headers[ACCESS_TOKEN_HEADER] = ScriptApp.getOAuthToken();
  if (options.body) {
    request.contentType = 'application/json';
    request.payload = JSON.stringify(options.body);
  }

  var response;
  try {
    response = UrlFetchApp.fetch(url, request);
  } catch (error) {
    // DNS failures, refused connections, the ~60 s timeout and a URL missing
    // from the manifest's urlFetchWhitelist all land here.
    console.warn('request %s %s failed: %s', route.method, route.path, error && error.message);
    var reason = String((error && error.message) || error).slice(0, 200);
    return failure_(0, message_(lang, 'errorTitle'), message_(lang, 'errorUnreachable', { url: settings.backendUrl, reason: reason }), 'unreachable');
  }
  return readResponse_(response, lang, route);
}

function readResponse_(response, lang, route) {
  var status = response.getResponseCode();
  var text = response.getContentText();
  var data = parseJson_(text);
  if (status >= 200 && status < 300) {
    if (data === undefined) {
      return failure_(status, message_(lang, 'errorTitle'), message_(lang, 'errorNotJson', { status: status }), 'not-json');
    }
    return { ok: true, status: status, data: data };
  }
  console.warn('request %s %s returned HTTP %s', route.method, route.path, status);
  return { ok: false, status: status, error: problemOf_(status, data, lang) };
}

/** Reads an application/problem+json body; the service writes title and detail in the user's language. */
function problemOf_(status, data, lang) {
  if (data && typeof data === 'object' && typeof data.detail === 'string' && data.detail) {
    return {
      title: typeof data.title === 'string' && data.title ? data.title : message_(lang, 'errorTitle'),
      detail: data.detail,
      code: typeof data.code === 'string' ? data.code : '',
      status: status,
    };
  }
  // A proxy's HTML error page or an empty body: never shown to the user.
  return { title: message_(lang, 'errorTitle'), detail: message_(lang, 'errorHttp', { status: status }), code: '', status: status };
}

function failure_(status, title, detail, code) {
  return { ok: false, status: status, error: { title: title, detail: detail, code: code, status: status } };
}

function parseJson_(text) {
  if (!text) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    return undefined;
  }
}

// ---- Request bodies ---------------------------------------------------------

/**
 * Returns the fields every sheet request shares: spreadsheet id, tab, design
 * and language. `activeSheet` is the open tab (null in a trigger, where the
 * service then picks the design's tab).
 */
function sheetRequest_(spreadsheet, activeSheet, settings, lang) {
  var body = { spreadsheet: spreadsheet.getId(), lang: lang };
  if (settings.dataSheet) {
    body.sheet = settings.dataSheet;
  } else if (activeSheet) {
    body.sheet = activeSheet.getName();
    body.gid = activeSheet.getSheetId();
  }
  var design = designYaml_(spreadsheet, settings.designSource, lang);
  if (design !== null) {
    body.design_yaml = design;
  }
  return body;
}

/**
 * Reads the design YAML from column A of the design tab, one line per cell;
 * returns null when no design tab is set (the service then uses its bundled design).
 */
function designYaml_(spreadsheet, tabName, lang) {
  if (!tabName) {
    return null;
  }
  var sheet = spreadsheet.getSheetByName(tabName);
  if (!sheet) {
    throw new UserError_(message_(lang, 'errorTitle'), message_(lang, 'errorDesignTabMissing', { tab: tabName }));
  }
  var lastRow = sheet.getLastRow();
  var lines = lastRow > 0 ? sheet.getRange(1, 1, lastRow, 1).getDisplayValues() : [];
  var text = lines
    .map(function (row) {
      return row[0];
    })
    .join('\n')
    .replace(/\s+$/, '');
  if (!text) {
    throw new UserError_(message_(lang, 'errorTitle'), message_(lang, 'errorDesignTabEmpty', { tab: tabName }));
  }
  return text + '\n';
}

function activeRequest_(lang) {
  var spreadsheet = SpreadsheetApp.getActiveSpreadsheet();
  return sheetRequest_(spreadsheet, spreadsheet.getActiveSheet(), loadSettings_(), lang);
}

/** Adds the wave of the settings to a plan or run body. Without a wave, the plan or run covers every row. */
function withWave_(body, settings) {
  if (settings.wave) {
    body.wave = settings.wave;
  }
  return body;
}

// ---- Menu actions -----------------------------------------------------------

function runValidation() {
  startFromMenu_('validation', 'validate', function (lang) {
    var body = activeRequest_(lang);
    body.write = true;
    return body;
  });
}

function runKpis() {
  startFromMenu_('kpis', 'kpis', function (lang) {
    return activeRequest_(lang);
  });
}

function runSyncPreview() {
  startFromMenu_('syncPreview', 'syncPlan', function (lang) {
    return withWave_(activeRequest_(lang), loadSettings_());
  });
}

/** Starts a plan first: the sidebar shows its totals and asks before the batch is sent. */
function runSyncNextBatch() {
  startFromMenu_('syncRun', 'syncPlan', function (lang) {
    return withWave_(activeRequest_(lang), loadSettings_());
  });
}

/** Counts the tab's rows by sync status. The status takes no wave, so it covers every row. */
function showMigrationStatus() {
  startFromMenu_('status', 'syncStatus', function (lang) {
    return activeRequest_(lang);
  });
}

/**
 * Sends the request of one menu action and opens the sidebar on its response:
 * a job id (202) that the sidebar polls, or the data itself (200). A problem
 * is shown in a dialog, with the service's text.
 */
function startFromMenu_(view, routeName, makeBody) {
  var lang = userLanguage_();
  var outcome = startAction_(routeName, lang, makeBody);
  if (!outcome.ok) {
    showProblem_(outcome.error);
    return outcome;
  }
  openSidebar_(view, lang, outcome);
  return outcome;
}

function startAction_(routeName, lang, makeBody) {
  var options = {};
  try {
    options.body = makeBody(lang);
  } catch (error) {
    if (error instanceof UserError_) {
      return { ok: false, error: { title: error.title, detail: error.detail, code: 'addon' } };
    }
    throw error;
  }
  var response = callService_(routeName, lang, options);
  if (!response.ok) {
    return response;
  }
  var data = response.data || {};
  if (response.status === 202 && data.job_id) {
    console.info('%s started: job %s for spreadsheet %s', routeName, data.job_id, options.body ? options.body.spreadsheet : '');
    return { ok: true, jobId: data.job_id };
  }
  return { ok: true, data: data };
}

function showProblem_(error) {
  SpreadsheetApp.getUi().alert(error.title, error.detail, SpreadsheetApp.getUi().ButtonSet.OK);
}

// ---- Sidebar ----------------------------------------------------------------

/**
 * Opens Sidebar.html with its start state: the view, the language, its
 * texts, and a job id to poll or the data to show.
 */
function openSidebar_(view, lang, outcome) {
  var settings = loadSettings_();
  var boot = {
    view: view,
    lang: lang,
    jobId: outcome.jobId || null,
    data: outcome.data || null,
    batchSize: settings.batchSize,
    wave: settings.wave || null,
    sheet: settings.dataSheet || SpreadsheetApp.getActiveSpreadsheet().getActiveSheet().getName(),
    pollIntervalMs: SIDEBAR_POLL_INTERVAL_MS,
    messages: MESSAGES[lang],
  };
  var template = HtmlService.createTemplateFromFile('Sidebar');
  template.boot = scriptJson_(boot);
  var output = template.evaluate().setTitle(message_(lang, 'sidebarTitle'));
  SpreadsheetApp.getUi().showSidebar(output);
}

/** Returns JSON that is safe inside a <script> element (no "</script>", no U+2028). */
function scriptJson_(value) {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Called by the sidebar every few seconds: returns {ok, job: {id, state,
 * progress, pauseReason, result, error}}. The request carries a fresh OAuth
 * token, so a job paused by an expired token resumes.
 */
function getJob(jobId) {
  var lang = userLanguage_();
  if (!JOB_ID_PATTERN.test(String(jobId))) {
    return failure_(0, message_(lang, 'errorTitle'), message_(lang, 'errorJobId', { jobId: String(jobId).slice(0, 80) }), 'addon');
  }
  var response = callService_('job', lang, { params: { job_id: jobId }, query: { lang: lang } });
  if (!response.ok) {
    return response;
  }
  return { ok: true, job: jobOf_(response.data) };
}

function jobOf_(data) {
  return {
    id: data.job_id,
    kind: data.kind,
    state: data.state,
    progress: typeof data.progress === 'number' ? data.progress : 0,
    pauseReason: data.pause_reason || null,
    result: data.result || null,
    error: data.error || null,
  };
}

/**
 * Called by the sidebar after the user confirmed the plan: starts the batch
 * as a job. Returns {ok, jobId}, or {ok: false, error} with the service's
 * problem, e.g. 409 when a run of this tab is still in progress.
 */
function startSyncRun() {
  var lang = userLanguage_();
  return startAction_('syncRun', lang, function () {
    var settings = loadSettings_();
    var body = withWave_(activeRequest_(lang), settings);
    body.limit = settings.batchSize;
    return body;
  });
}

/** Selects a cell or row of a tab; the sidebar's finding and row links call it. */
function selectCell(sheetName, a1) {
  var lang = userLanguage_();
  if (!A1_PATTERN.test(String(a1))) {
    return failure_(0, message_(lang, 'errorTitle'), message_(lang, 'errorCellReference', { a1: String(a1).slice(0, 40) }), 'addon');
  }
  var sheet = SpreadsheetApp.getActiveSpreadsheet().getSheetByName(String(sheetName));
  if (!sheet) {
    return failure_(0, message_(lang, 'errorTitle'), message_(lang, 'errorSheetMissing', { sheet: sheetName }), 'addon');
  }
  sheet.activate();
  sheet.getRange(a1).activate();
  return { ok: true };
}
