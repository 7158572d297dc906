'use strict';
// Recording fakes of the Apps Script services that the add-on uses, and a
// loader that runs the add-on's .js files in one vm context, as Apps Script
// runs all files of a project in one global scope.

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const ADDON_DIR = path.join(__dirname, '..');
const SCRIPT_FILES = ['Code.js', 'Settings.js', 'Reminders.js'];
const ID_TOKEN = 'id-token-eyJhbGciOi.secret';
const OAUTH_TOKEN = 'ya29.oauth-secret-token';

class FakeProperties {
  constructor(initial) {
    this.values = Object.assign({}, initial);
  }
  getProperty(name) {
    return Object.prototype.hasOwnProperty.call(this.values, name) ? this.values[name] : null;
  }
  setProperty(name, value) {
    this.values[name] = String(value);
    return this;
  }
  setProperties(values) {
    Object.keys(values).forEach((name) => this.setProperty(name, values[name]));
    return this;
  }
  getProperties() {
    return Object.assign({}, this.values);
  }
  deleteProperty(name) {
    delete this.values[name];
    return this;
  }
}

class FakeRange {
  constructor(sheet, reference) {
    this.sheet = sheet;
    this.reference = reference;
  }
  activate() {
    this.sheet.spreadsheet.activated.push({ sheet: this.sheet.name, range: this.reference });
    return this;
  }
  getDisplayValues() {
    return this.sheet.columnA.map((value) => [value]);
  }
}

class FakeSheet {
  constructor(spreadsheet, name, sheetId, columnA) {
    this.spreadsheet = spreadsheet;
    this.name = name;
    this.sheetId = sheetId;
    this.columnA = columnA || [];
  }
  getName() {
    return this.name;
  }
  getSheetId() {
    return this.sheetId;
  }
  getLastRow() {
    return this.columnA.length;
  }
  activate() {
    this.spreadsheet.activeSheet = this;
    return this;
  }
  getRange(...args) {
    return new FakeRange(this, args.join(','));
  }
}

class FakeSpreadsheet {
  constructor({ id, name, locale, timeZone, sheets }) {
    this.id = id;
    this.name = name;
    this.locale = locale;
    this.timeZone = timeZone;
    this.activated = [];
    this.sheets = sheets.map((sheet) => new FakeSheet(this, sheet.name, sheet.id, sheet.columnA));
    this.activeSheet = this.sheets[0];
  }
  getId() {
    return this.id;
  }
  getName() {
    return this.name;
  }
  getUrl() {
    return 'https://docs.google.com/spreadsheets/d/' + this.id + '/edit';
  }
  getActiveSheet() {
    return this.activeSheet;
  }
  getSheetByName(name) {
    return this.sheets.find((sheet) => sheet.name === name) || null;
  }
  getSpreadsheetTimeZone() {
    return this.timeZone;
  }
  getSpreadsheetLocale() {
    return this.locale;
  }
}

function fakeUi(record) {
  const menu = { title: null, items: [] };
  const menuBuilder = {
    addItem(caption, functionName) {
      menu.items.push({ caption, functionName });
      return menuBuilder;
    },
    addSeparator() {
      menu.items.push({ separator: true });
      return menuBuilder;
    },
    addToUi() {
      record.menus.push(menu);
    },
  };
  return {
    ButtonSet: { OK: 'OK' },
    createAddonMenu() {
      return menuBuilder;
    },
    alert(title, prompt, buttons) {
      record.alerts.push({ title, prompt, buttons });
    },
    showSidebar(output) {
      record.sidebars.push(output);
    },
    showModalDialog(output, title) {
      record.dialogs.push({ output, title });
    },
  };
}

function fakeHtmlService(record) {
  return {
    createTemplateFromFile(name) {
      const template = { file: name };
      template.evaluate = () => {
        const output = { file: name, boot: JSON.parse(template.boot), title: null };
        output.setTitle = (title) => {
          output.title = title;
          return output;
        };
        output.setWidth = () => output;
        output.setHeight = () => output;
        record.templates.push(template);
        return output;
      };
      return template;
    },
  };
}

function fakeScriptApp(record) {
  return {
    getIdentityToken() {
      return ID_TOKEN;
    },
    getOAuthToken() {
      return OAUTH_TOKEN;
    },
    newTrigger(functionName) {
      const spec = { functionName, calls: [] };
      const builder = {
        timeBased() {
          spec.calls.push('timeBased');
          return builder;
        },
        everyDays(days) {
          spec.calls.push('everyDays(' + days + ')');
          return builder;
        },
        atHour(hour) {
          spec.calls.push('atHour(' + hour + ')');
          return builder;
        },
        create() {
          const uid = 'trigger-' + (record.triggers.length + record.deletedTriggers.length + 1);
          const trigger = { spec, getUniqueId: () => uid, getHandlerFunction: () => functionName };
          record.triggers.push(trigger);
          return trigger;
        },
      };
      return builder;
    },
    getProjectTriggers() {
      return record.triggers.slice();
    },
    deleteTrigger(trigger) {
      record.triggers = record.triggers.filter((item) => item !== trigger);
      record.deletedTriggers.push(trigger);
    },
  };
}

function fakeResponse(status, body) {
  let text = '';
  if (typeof body === 'string') {
    text = body;
  } else if (body !== undefined) {
    text = JSON.stringify(body);
  }
  return { getResponseCode: () => status, getContentText: () => text };
}

/** Formats yyyy-MM-dd in a time zone, the only pattern the add-on passes to Utilities.formatDate. */
function formatDate(date, timeZone, pattern) {
  if (pattern !== 'yyyy-MM-dd') {
    throw new Error('fake formatDate supports yyyy-MM-dd only, got ' + pattern);
  }
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
}

/**
 * Loads the add-on with fakes. `fetch(url, params)` answers UrlFetchApp
 * calls; the returned `record` holds every call the add-on made.
 */
function loadAddon(options = {}) {
  const record = {
    fetches: [],
    menus: [],
    alerts: [],
    sidebars: [],
    dialogs: [],
    templates: [],
    triggers: [],
    deletedTriggers: [],
    mails: [],
    sleeps: [],
    logs: [],
    propertyReads: 0,
  };
  const documentProperties = new FakeProperties(options.documentProperties);
  const userProperties = new FakeProperties(options.userProperties);
  const scriptProperties = new FakeProperties(options.scriptProperties);
  const spreadsheet = new FakeSpreadsheet(
    Object.assign(
      {
        id: '1AbCspreadsheetId',
        name: '案件管理',
        locale: 'ja_JP',
        timeZone: 'Asia/Tokyo',
        sheets: [{ name: '案件一覧', id: 0 }, { name: 'KPI', id: 77 }],
      },
      options.spreadsheet
    )
  );
  const fetch = options.fetch || (() => fakeResponse(500, 'no fake answer'));
  const logger = (level) => (...args) => record.logs.push({ level, args });

  const context = {
    console: { log: logger('log'), info: logger('info'), warn: logger('warn'), error: logger('error') },
    Session: {
      getActiveUserLocale: () => (options.locale === undefined ? 'ja' : options.locale),
      getActiveUser: () => ({ getEmail: () => options.userEmail || 'admin@example.co.jp' }),
    },
    SpreadsheetApp: {
      getUi: () => fakeUi(record),
      getActiveSpreadsheet: () => (options.noActiveSpreadsheet ? null : spreadsheet),
      getActive: () => spreadsheet,
      openById: (id) => {
        if (id !== spreadsheet.id) {
          throw new Error('no spreadsheet ' + id);
        }
        return spreadsheet;
      },
    },
    UrlFetchApp: {
      fetch(url, params) {
        record.fetches.push({ url, params });
        return fetch(url, params, record.fetches.length);
      },
    },
    ScriptApp: fakeScriptApp(record),
    PropertiesService: {
      getDocumentProperties() {
        record.propertyReads += 1;
        return documentProperties;
      },
      getUserProperties() {
        record.propertyReads += 1;
        return userProperties;
      },
      getScriptProperties() {
        record.propertyReads += 1;
        return scriptProperties;
      },
    },
    HtmlService: fakeHtmlService(record),
    MailApp: {
      sendEmail(message) {
        record.mails.push(message);
      },
      getRemainingDailyQuota: () => (options.mailQuota === undefined ? 100 : options.mailQuota),
    },
    Utilities: {
      formatDate,
      sleep: (ms) => record.sleeps.push(ms),
    },
  };
  vm.createContext(context);
  for (const file of SCRIPT_FILES) {
    const source = fs.readFileSync(path.join(ADDON_DIR, file), 'utf8');
    vm.runInContext(source, context, { filename: file });
  }
  const evaluate = (expression) => vm.runInContext(expression, context);
  return { context, record, spreadsheet, documentProperties, userProperties, evaluate };
}

function readFixture(name) {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8'));
}

module.exports = { loadAddon, fakeResponse, readFixture, ID_TOKEN, OAUTH_TOKEN, ADDON_DIR };
