/**
 * Daily reminders: a time-driven trigger requests the sheet's to-do list from the service
 * and e-mails each owner their own items, in their language, at most once a
 * day per address.
 *
 * The to-do list comes from the KPI route: it validates the sheet and returns
 * `todo` items ({owner, row, key, stage, severity, code, message, since}) with
 * messages in the requested language. Owners are names in the sheet, so the
 * settings map each name to an e-mail address (and optionally a language).
 */

var REMINDER_HANDLER = 'sendDailyReminders';
var REMINDER_HOUR = 8;
// User property "bridge.reminderTrigger.<trigger uid>" = spreadsheet id: a
// time-driven trigger has no active spreadsheet, so it looks its own up.
var TRIGGER_KEY_PREFIX = 'bridge.reminderTrigger.';
var LAST_SENT_KEY = 'bridge.reminderLastSent';
var POLL_INTERVAL_MS = 5000;
// Stop polling well before the 6-minute limit of one execution.
var REMINDER_BUDGET_MS = 4.5 * 60 * 1000;

/**
 * Installs the daily trigger for this spreadsheet unless it exists; returns
 * the message key to show, or null when nothing changed.
 */
function installReminderTrigger_(spreadsheet) {
  if (reminderTriggers_(spreadsheet).length) {
    return null;
  }
  var trigger = ScriptApp.newTrigger(REMINDER_HANDLER).timeBased().everyDays(1).atHour(REMINDER_HOUR).create();
  PropertiesService.getUserProperties().setProperty(TRIGGER_KEY_PREFIX + trigger.getUniqueId(), spreadsheet.getId());
  console.info('reminder trigger %s installed for spreadsheet %s', trigger.getUniqueId(), spreadsheet.getId());
  return 'remindersInstalled';
}

/** Deletes this spreadsheet's reminder triggers; returns the message key, or null when there were none. */
function removeReminderTriggers_(spreadsheet) {
  var triggers = reminderTriggers_(spreadsheet);
  var userProperties = PropertiesService.getUserProperties();
  triggers.forEach(function (trigger) {
    ScriptApp.deleteTrigger(trigger);
    userProperties.deleteProperty(TRIGGER_KEY_PREFIX + trigger.getUniqueId());
  });
  return triggers.length ? 'remindersRemoved' : null;
}

function reminderTriggers_(spreadsheet) {
  var userProperties = PropertiesService.getUserProperties();
  return ScriptApp.getProjectTriggers().filter(function (trigger) {
    return trigger.getHandlerFunction() === REMINDER_HANDLER && userProperties.getProperty(TRIGGER_KEY_PREFIX + trigger.getUniqueId()) === spreadsheet.getId();
  });
}

/**
 * The trigger's handler. Returns {sent, skipped} for the execution log.
 * NOTE: this assumes document properties are readable from an add-on's
 * time-driven trigger, as Google documents for triggers an add-on creates
 * in a document; it has not been run against a deployed add-on yet.
 */
function sendDailyReminders(e) {
  var spreadsheetId = e && e.triggerUid ? PropertiesService.getUserProperties().getProperty(TRIGGER_KEY_PREFIX + e.triggerUid) : null;
  var spreadsheet = spreadsheetId ? SpreadsheetApp.openById(spreadsheetId) : SpreadsheetApp.getActiveSpreadsheet();
  if (!spreadsheet) {
    console.warn('reminder trigger %s has no spreadsheet; delete it under Triggers', e && e.triggerUid);
    return { sent: 0, skipped: 0 };
  }
  return sendReminders_(spreadsheet, PropertiesService.getDocumentProperties(), new Date());
}

function sendReminders_(spreadsheet, properties, now) {
  var settings = loadSettings_(properties);
  if (!settings.remindersEnabled) {
    return { sent: 0, skipped: 0 };
  }
  var today = Utilities.formatDate(now, spreadsheet.getSpreadsheetTimeZone(), 'yyyy-MM-dd');
  var sheetLang = languageOf_(spreadsheet.getSpreadsheetLocale());
  var owners = parseOwnerEmails_(settings.ownerEmails);
  var deadline = Date.now() + REMINDER_BUDGET_MS;
  var outcome = { sent: 0, skipped: 0 };

  reminderLanguages_(owners, sheetLang).forEach(function (lang) {
    var items;
    try {
      items = fetchTodo_(spreadsheet, settings, lang, deadline);
    } catch (error) {
      console.error('reminders for spreadsheet %s (%s) failed: %s', spreadsheet.getId(), lang, error.detail || error.message);
      return;
    }
    var recipients = recipientsOf_(items, owners, sheetLang, lang);
    Object.keys(recipients).forEach(function (email) {
      if (sendReminder_(spreadsheet, settings, properties, email, recipients[email], lang, today)) {
        outcome.sent += 1;
      } else {
        outcome.skipped += 1;
      }
    });
  });
  console.info('reminders for spreadsheet %s: %s sent, %s skipped', spreadsheet.getId(), outcome.sent, outcome.skipped);
  return outcome;
}

/** Returns the languages to fetch the to-do list in: the sheet's first, then the owners' own. */
function reminderLanguages_(owners, sheetLang) {
  var langs = [sheetLang];
  Object.keys(owners).forEach(function (name) {
    var lang = owners[name].lang;
    if (lang && langs.indexOf(lang) < 0) {
      langs.push(lang);
    }
  });
  return langs;
}

/**
 * Groups the to-do items by recipient address, keeping only owners whose
 * language is `lang`. An owner cell that is itself an e-mail address needs
 * no mapping.
 */
function recipientsOf_(items, owners, sheetLang, lang) {
  var recipients = {};
  (items || []).forEach(function (item) {
    var name = String(item.owner || '').trim();
    var owner = owners[name] || (EMAIL_PATTERN.test(name) ? { email: name.toLowerCase(), lang: null } : null);
    if (!owner || (owner.lang || sheetLang) !== lang) {
      return;
    }
    var recipient = recipients[owner.email] || (recipients[owner.email] = { names: [], items: [] });
    if (recipient.names.indexOf(name) < 0) {
      recipient.names.push(name);
    }
    recipient.items.push(item);
  });
  return recipients;
}

/** Sends one owner's mail unless they opted out or already got one today; returns whether it sent. */
function sendReminder_(spreadsheet, settings, properties, email, recipient, lang, today) {
  if (settings.optOut.indexOf(email) >= 0) {
    return false;
  }
  var lastSent = parseJson_(properties.getProperty(LAST_SENT_KEY)) || {};
  if (lastSent[email] === today) {
    return false;
  }
  if (MailApp.getRemainingDailyQuota() < 1) {
    console.warn('mail quota used up; reminder to an owner of spreadsheet %s not sent', spreadsheet.getId());
    return false;
  }
  MailApp.sendEmail({
    to: email,
    subject: message_(lang, 'reminderSubject', { spreadsheet: spreadsheet.getName(), count: recipient.items.length }),
    body: reminderBody_(spreadsheet, recipient, lang, today),
    name: message_(lang, 'addonName'),
  });
  // Saved after each mail, so that a failure later in the run sends no mail twice.
  lastSent[email] = today;
  properties.setProperty(LAST_SENT_KEY, JSON.stringify(lastSent));
  return true;
}

function reminderBody_(spreadsheet, recipient, lang, today) {
  var lines = [
    message_(lang, 'reminderIntro', {
      owner: recipient.names.join(lang === 'ja' ? '、' : ', '),
      spreadsheet: spreadsheet.getName(),
      count: recipient.items.length,
      date: today,
    }),
    '',
  ];
  recipient.items.forEach(function (item) {
    var stage = item.stage ? message_(lang, 'reminderStage', { stage: item.stage }) : '';
    lines.push(message_(lang, 'reminderItem', { row: item.row, stage: stage, message: item.message }));
  });
  lines.push('', message_(lang, 'reminderOpen', { url: spreadsheet.getUrl() }), '', message_(lang, 'reminderOptOut', { addon: message_(lang, 'addonName') }));
  return lines.join('\n');
}

/** Asks the service for the to-do list in `lang`, polling the job until `deadline` (ms since the epoch). */
function fetchTodo_(spreadsheet, settings, lang, deadline) {
  var body = sheetRequest_(spreadsheet, null, settings, lang);
  var response = callService_('kpis', lang, { body: body });
  if (!response.ok) {
    throw new UserError_(response.error.title, response.error.detail);
  }
  var data = response.data || {};
  var result = response.status === 202 && data.job_id ? waitForJob_(data.job_id, lang, deadline) : data;
  return (result && result.todo) || [];
}

/** Polls a job until it is done and returns its result; raises UserError_ on failure or at `deadline`. */
function waitForJob_(jobId, lang, deadline) {
  for (;;) {
    var response = callService_('job', lang, { params: { job_id: jobId }, query: { lang: lang } });
    if (!response.ok) {
      throw new UserError_(response.error.title, response.error.detail);
    }
    var job = jobOf_(response.data);
    if (job.state === 'done') {
      return job.result;
    }
    if (job.state === 'failed') {
      var error = job.error || {};
      throw new UserError_(error.title || message_(lang, 'jobFailed'), error.detail || message_(lang, 'jobFailed'));
    }
    if (Date.now() + POLL_INTERVAL_MS > deadline) {
      throw new UserError_(message_(lang, 'errorTitle'), message_(lang, 'jobTimeout', { jobId: jobId }));
    }
    Utilities.sleep(POLL_INTERVAL_MS);
  }
}
