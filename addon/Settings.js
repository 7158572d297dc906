/**
 * Settings of the add-on, kept per spreadsheet in its document properties
 * and edited in Settings.html. The server side validates every field again,
 * because the dialog's own checks can be bypassed.
 */

var SETTINGS_PREFIX = 'bridge.';
var SETTINGS_DEFAULTS = {
  backendUrl: '',
  designSource: '',
  dataSheet: '',
  batchSize: 25,
  wave: '',
  remindersEnabled: false,
  ownerEmails: '',
  optOut: [],
};
var MIN_BATCH_SIZE = 1;
// HubSpot's batch endpoints take at most 100 inputs per call.
var MAX_BATCH_SIZE = 100;
// A document property value is at most 9 kB.
var MAX_TEXT_SETTING_CHARS = 8000;
var MAX_NAME_SETTING_CHARS = 200;
var EMAIL_PATTERN = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

// Script property with the service's URL for every spreadsheet that has
// none of its own. The admin sets it once in the Apps Script project
// (Project Settings > Script properties), so a domain install works at once.
var BACKEND_URL_PROPERTY = 'BACKEND_URL';

/** Returns the settings of this spreadsheet, with defaults for unset ones. */
function loadSettings_(properties) {
  var stored = (properties || PropertiesService.getDocumentProperties()).getProperties();
  var settings = {};
  Object.keys(SETTINGS_DEFAULTS).forEach(function (name) {
    var raw = stored[SETTINGS_PREFIX + name];
    settings[name] = raw === undefined ? copy_(SETTINGS_DEFAULTS[name]) : decodeSetting_(name, raw);
  });
  if (!settings.backendUrl) {
    settings.backendUrl = defaultBackendUrl_();
  }
  return settings;
}

/** Returns the project-wide backend URL, or '' when the admin set none or an invalid one. */
function defaultBackendUrl_() {
  var url = String(PropertiesService.getScriptProperties().getProperty(BACKEND_URL_PROPERTY) || '').trim();
  return isHttpsUrl_(url) ? url.replace(/\/+$/, '') : '';
}

function decodeSetting_(name, raw) {
  if (name === 'batchSize') {
    return parseInt(raw, 10) || SETTINGS_DEFAULTS.batchSize;
  }
  if (name === 'remindersEnabled') {
    return raw === 'true';
  }
  if (name === 'optOut') {
    return parseJson_(raw) || [];
  }
  return raw;
}

function copy_(value) {
  return Array.isArray(value) ? value.slice() : value;
}

/**
 * Checks the dialog's form and returns {settings, errors}: errors maps a
 * field name to a message in `lang`; settings holds the cleaned values.
 */
function validateSettings_(form, lang) {
  var errors = {};
  var settings = {};

  var url = String(form.backendUrl || '').trim();
  if (!isHttpsUrl_(url)) {
    errors.backendUrl = message_(lang, 'settingsBackendUrlInvalid', { value: url.slice(0, 200) });
  }
  settings.backendUrl = url.replace(/\/+$/, '');

  var batchText = String(form.batchSize === undefined || form.batchSize === null ? '' : form.batchSize).trim();
  var batchSize = Number(batchText);
  if (!/^\d+$/.test(batchText) || batchSize < MIN_BATCH_SIZE || batchSize > MAX_BATCH_SIZE) {
    errors.batchSize = message_(lang, 'settingsBatchSizeInvalid', { value: batchText.slice(0, 40) });
  }
  settings.batchSize = batchSize;

  ['designSource', 'dataSheet', 'wave'].forEach(function (name) {
    settings[name] = String(form[name] || '').trim();
    if (settings[name].length > MAX_NAME_SETTING_CHARS) {
      errors[name] = message_(lang, 'settingsTextTooLong', { field: message_(lang, settingsLabelKey_(name)), max: MAX_NAME_SETTING_CHARS });
    }
  });
  settings.remindersEnabled = form.remindersEnabled === true || form.remindersEnabled === 'true' || form.remindersEnabled === 'on';

  settings.ownerEmails = String(form.ownerEmails || '').trim();
  var ownerProblem = ownerEmailsProblem_(settings.ownerEmails, lang);
  if (ownerProblem) {
    errors.ownerEmails = ownerProblem;
  } else if (settings.ownerEmails.length > MAX_TEXT_SETTING_CHARS) {
    errors.ownerEmails = message_(lang, 'settingsTextTooLong', { field: message_(lang, 'settingsOwnerEmails'), max: MAX_TEXT_SETTING_CHARS });
  }

  settings.optOut = [];
  String(form.optOut || '')
    .split(/[\n,]/)
    .map(function (item) {
      return item.trim().toLowerCase();
    })
    .filter(Boolean)
    .forEach(function (address) {
      if (!EMAIL_PATTERN.test(address)) {
        errors.optOut = errors.optOut || message_(lang, 'settingsOptOutInvalid', { value: address.slice(0, 200) });
      } else if (settings.optOut.indexOf(address) < 0) {
        settings.optOut.push(address);
      }
    });
  return { settings: settings, errors: errors };
}

function settingsLabelKey_(name) {
  return 'settings' + name.charAt(0).toUpperCase() + name.slice(1);
}

function isHttpsUrl_(url) {
  // A host of letters, digits, dots and hyphens, an optional port, an optional path.
  return /^https:\/\/[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?(?:\/[^\s?#]*)?$/.test(url);
}

/**
 * Parses the owner e-mail lines "owner name = e-mail[, ja|en]" into
 * {owner name: {email, lang}}; a missing language is null (the sheet's one).
 */
function parseOwnerEmails_(text) {
  var owners = {};
  String(text || '')
    .split('\n')
    .forEach(function (line) {
      var parsed = ownerLine_(line);
      if (parsed) {
        owners[parsed.owner] = { email: parsed.email, lang: parsed.lang };
      }
    });
  return owners;
}

function ownerLine_(line) {
  var match = /^\s*(.+?)\s*=\s*([^\s,]+)\s*(?:,\s*(ja|en)\s*)?$/i.exec(line);
  if (!match || !EMAIL_PATTERN.test(match[2])) {
    return null;
  }
  return { owner: match[1], email: match[2].toLowerCase(), lang: match[3] ? match[3].toLowerCase() : null };
}

function ownerEmailsProblem_(text, lang) {
  var lines = String(text || '').split('\n');
  for (var index = 0; index < lines.length; index++) {
    var line = lines[index].trim();
    if (line && !ownerLine_(line)) {
      return message_(lang, 'settingsOwnerEmailsInvalid', { line: index + 1, text: line.slice(0, 200) });
    }
  }
  return null;
}

/** Opens the settings dialog (menu item). */
function showSettings() {
  var lang = userLanguage_();
  var settings = loadSettings_();
  var me = currentUserEmail_();
  var boot = {
    lang: lang,
    messages: MESSAGES[lang],
    settings: settings,
    optOutMe: me !== '' && settings.optOut.indexOf(me) >= 0,
    limits: { minBatchSize: MIN_BATCH_SIZE, maxBatchSize: MAX_BATCH_SIZE },
  };
  var template = HtmlService.createTemplateFromFile('Settings');
  template.boot = scriptJson_(boot);
  var output = template.evaluate().setWidth(520).setHeight(640);
  SpreadsheetApp.getUi().showModalDialog(output, message_(lang, 'settingsTitle'));
}

/**
 * Saves the dialog's form (google.script.run) and returns {ok, errors,
 * message}. Turns the daily reminder trigger on or off to match.
 */
function saveSettings(form) {
  var lang = userLanguage_();
  var checked = validateSettings_(form || {}, lang);
  if (Object.keys(checked.errors).length) {
    return { ok: false, errors: checked.errors, message: message_(lang, 'settingsFixErrors') };
  }
  var settings = checked.settings;
  var me = currentUserEmail_();
  if (me) {
    settings.optOut = settings.optOut.filter(function (address) {
      return address !== me;
    });
    if (form.optOutMe === true || form.optOutMe === 'true' || form.optOutMe === 'on') {
      settings.optOut.push(me);
    }
  }

  var properties = PropertiesService.getDocumentProperties();
  var values = {};
  Object.keys(SETTINGS_DEFAULTS).forEach(function (name) {
    var value = settings[name];
    values[SETTINGS_PREFIX + name] = Array.isArray(value) ? JSON.stringify(value) : String(value);
  });
  properties.setProperties(values);

  var spreadsheet = SpreadsheetApp.getActiveSpreadsheet();
  var reminderNote = settings.remindersEnabled ? installReminderTrigger_(spreadsheet) : removeReminderTriggers_(spreadsheet);
  console.info('settings saved for spreadsheet %s', spreadsheet.getId());
  var text = message_(lang, 'settingsSaved');
  if (reminderNote) {
    text += ' ' + message_(lang, reminderNote);
  }
  return { ok: true, errors: {}, message: text };
}

function currentUserEmail_() {
  return String(Session.getActiveUser().getEmail() || '').toLowerCase();
}
