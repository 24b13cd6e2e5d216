// End-to-end harness for Firefox: Debian's firefox-esr driven over WebDriver BiDi (Node's
// built-in WebSocket, nothing downloaded), the built add-on installed as a temporary add-on
// (`webExtension.install`), the real popup opened by what a toolbar click does
// (`browserActionFor(extension).triggerAction(window)` in the browser window's privileged
// scope) and read from the add-on's options page with `extension.getViews({type: "popup"})`.
//
// Run inside a network namespace of its own (extension/tests/run.sh uses `unshare --net`):
// loopback is the only network, so port 443 is free for the test's TLS server and nothing can
// reach Mozilla's services. Invented names (`*.test`) resolve to loopback through Firefox's
// `network.dns.localDomains`; the system resolver is never asked.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, ARTIFACTS, sleep } from '../e2e/harness.mjs';

const ADDON_ID = 'tls-probe@tls-probe.example';

/** Prefs of a quiet, offline test profile. */
function userJs(localDomains) {
  const prefs = {
    'network.dns.localDomains': localDomains.join(','),
    'app.update.enabled': false,
    'app.update.auto': false,
    'extensions.getAddons.cache.enabled': false,
    'extensions.blocklist.enabled': false,
    'extensions.update.enabled': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
    'browser.safebrowsing.downloads.enabled': false,
    'browser.safebrowsing.blockedURIs.enabled': false,
    'datareporting.healthreport.uploadEnabled': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.enabled': false,
    'toolkit.telemetry.unified': false,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'services.settings.server': 'http://127.0.0.1:9/',
    'browser.shell.checkDefaultBrowser': false,
    'browser.startup.homepage_override.mstone': 'ignore',
    'browser.aboutwelcome.enabled': false,
    'dom.security.https_only_mode': false,
    'security.OCSP.enabled': 0,
    'network.proxy.type': 0,
  };
  return Object.entries(prefs)
    .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`)
    .join('\n') + '\n';
}

/** A minimal WebDriver BiDi client. */
class Bidi {
  constructor(ws) {
    this.ws = ws;
    this.next = 1;
    this.pending = new Map();
    ws.addEventListener('message', (event) => {
      const msg = JSON.parse(event.data);
      if (msg.id && this.pending.has(msg.id)) {
        const { resolve, reject } = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.type === 'error') reject(new Error(`${msg.error}: ${msg.message}`));
        else resolve(msg.result);
      }
    });
  }

  static async connect(url) {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve, { once: true });
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), { once: true });
    });
    return new Bidi(ws);
  }

  send(method, params = {}) {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      setTimeout(() => {
        if (this.pending.delete(id)) reject(new Error(`${method}: no answer within 30 s`));
      }, 30000);
    });
  }

  /** Evaluates `expression` (which must produce a JSON string or a primitive) in `context`. */
  async evaluate(context, expression) {
    const r = await this.send('script.evaluate', {
      expression, target: { context }, awaitPromise: true, resultOwnership: 'none',
    });
    if (r.type === 'exception') {
      throw new Error(`evaluate: ${r.exceptionDetails.text}\n${expression.slice(0, 300)}`);
    }
    return r.result.value;
  }

  close() { this.ws.close(); }
}

/** Launches firefox-esr with a fresh profile and the add-on (from dist/firefox). */
export async function launchFirefox({ localDomains, caPem = null }) {
  const src = path.join(ROOT, 'dist/firefox');
  if (!fs.existsSync(path.join(src, 'manifest.json'))) {
    throw new Error('dist/firefox is missing: run `cargo xtask build-extension` first');
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-probe-ff-'));
  fs.writeFileSync(path.join(profile, 'user.js'), userJs(localDomains));
  if (caPem) {
    // The test CA, trusted for websites, in the profile's NSS database.
    fs.writeFileSync(path.join(profile, 'ca.pem'), caPem);
    const certutil = spawn('certutil', ['-N', '-d', `sql:${profile}`, '--empty-password']);
    await new Promise((r) => certutil.once('exit', r));
    const add = spawn('certutil', ['-A', '-d', `sql:${profile}`, '-n', 'tls-probe-test', '-t', 'C,,', '-i', path.join(profile, 'ca.pem')]);
    const code = await new Promise((r) => add.once('exit', r));
    if (code !== 0) throw new Error('certutil could not add the test CA');
  }
  const child = spawn('firefox-esr', [
    '--headless', '--profile', profile, '--no-remote',
    '--remote-debugging-port', '0', '--remote-allow-system-access',
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1' } });
  let output = '';
  const wsUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`firefox-esr gave no BiDi address:\n${output}`)), 60000);
    const onData = (d) => {
      output += d;
      const m = output.match(/WebDriver BiDi listening on (ws:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stderr.on('data', onData);
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`firefox-esr exited (${code}):\n${output}`)));
  });
  const bidi = await Bidi.connect(`${wsUrl}/session`);
  await bidi.send('session.new', { capabilities: {} });
  const installed = await bidi.send('webExtension.install', { extensionData: { type: 'path', path: src } });
  if (installed.extension !== ADDON_ID) throw new Error(`installed ${installed.extension}, not ${ADDON_ID}`);

  const chromeTree = await bidi.send('browsingContext.getTree', { 'moz:scope': 'chrome' });
  const chromeWindow = chromeTree.contexts[0].context;
  const inChrome = (body) => bidi.evaluate(chromeWindow, `(async () => { ${body} })()`);
  const host = await inChrome(`return WebExtensionPolicy.getByID(${JSON.stringify(ADDON_ID)}).mozExtensionHostname;`);
  const base = `moz-extension://${host}`;

  // The site tab is the first tab; the options page lives in a background tab, from where
  // the popup's document, the badge and storage are read.
  const tree = await bidi.send('browsingContext.getTree', {});
  const siteTab = tree.contexts[0].context;
  const { context: optionsTab } = await bidi.send('browsingContext.create', { type: 'tab', background: true });
  await bidi.send('browsingContext.navigate', { context: optionsTab, url: `${base}/options.html`, wait: 'complete' });
  const inOptions = (body) => bidi.evaluate(optionsTab, `(async () => { ${body} })()`);

  const browser = {
    bidi, base, siteTab, optionsTab, inChrome, inOptions,
    async setProbe(url, token = null) {
      await inOptions(`await browser.storage.sync.set({ settings: { probe_url: ${JSON.stringify(url)}, token: ${JSON.stringify(token)} } }); return true;`);
    },
    /** Loads `url` in the site tab (errors such as an untrusted certificate are fine: the
     * popup only needs the tab's address). */
    async openSite(url) {
      await bidi.send('browsingContext.activate', { context: siteTab }).catch(() => {});
      await bidi.send('browsingContext.navigate', { context: siteTab, url, wait: 'complete' }).catch(() => {});
    },
    async reload() {
      await bidi.send('browsingContext.reload', { context: siteTab, wait: 'complete' }).catch(() => {});
    },
    /** What a click on the toolbar button does: grants activeTab and opens the popup. */
    async openPopup() {
      await bidi.send('browsingContext.activate', { context: siteTab }).catch(() => {});
      await inChrome(`
        const { ExtensionParent } = ChromeUtils.importESModule('resource://gre/modules/ExtensionParent.sys.mjs');
        const extension = ExtensionParent.GlobalManager.getExtension(${JSON.stringify(ADDON_ID)});
        ExtensionParent.apiManager.global.browserActionFor(extension).triggerAction(window);
        return true;`);
      const popup = {
        evaluate: (expr) => inOptions(`
          const view = browser.extension.getViews({ type: 'popup' })[0];
          if (!view) throw new Error('no popup open');
          const document = view.document;
          return JSON.stringify(${expr});`).then((s) => (s === undefined ? undefined : JSON.parse(s))),
        text: (selector) => popup.evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? null`),
        async waitFor(predicate, what, timeoutMs = 20000) {
          const end = Date.now() + timeoutMs;
          while (Date.now() < end) {
            if (await popup.evaluate(`!!(${predicate})`).catch(() => false)) return;
            await sleep(50);
          }
          const body = await popup.evaluate('document.body.innerText').catch((e) => `? ${e.message}`);
          throw new Error(`popup never showed ${what}; it shows:\n${body}`);
        },
        /** The popup's `performance` measure `name` (ms), or null. */
        measure: (name) => inOptions(`
          const view = browser.extension.getViews({ type: 'popup' })[0];
          const m = view && view.performance.getEntriesByName(${JSON.stringify(name)}, 'measure')[0];
          return m ? m.duration : null;`),
        async screenshot(name, { dark = false } = {}) {
          // Firefox has no screenshot of a panel over BiDi: the popup's document is shown in
          // the options tab, sized like the panel, with the same stylesheet and content.
          await shotOfPopup(browser, name, dark);
        },
        async close() {
          await inOptions(`for (const v of browser.extension.getViews({ type: 'popup' })) v.close(); return true;`);
        },
      };
      await popup.waitFor('document.querySelector("#app")?.children.length > 0', 'its first render');
      return popup;
    },
    async badge() {
      return inOptions(`
        const [tab] = await browser.tabs.query({ active: true, lastFocusedWindow: true });
        return JSON.stringify({ text: await browser.action.getBadgeText({ tabId: tab.id }), title: await browser.action.getTitle({ tabId: tab.id }) });`).then(JSON.parse);
    },
    /** Errors logged by the add-on's pages and scripts (console API and script errors). */
    async consoleErrors() {
      const json = await inChrome(`
        const storage = Cc['@mozilla.org/consoleAPI-storage;1'].getService(Ci.nsIConsoleAPIStorage);
        const api = storage.getEvents().filter((e) => e.level === 'error' && String(e.filename || '').startsWith(${JSON.stringify(base)})).map((e) => e.arguments.map(String).join(' '));
        const scripts = Services.console.getMessageArray().filter((m) => m instanceof Ci.nsIScriptError && !(m.flags & Ci.nsIScriptError.warningFlag) && String(m.sourceName || '').startsWith(${JSON.stringify(base)})).map((m) => m.errorMessage);
        return JSON.stringify([...api, ...scripts]);`);
      return JSON.parse(json);
    },
    async close() {
      bidi.close();
      child.kill('SIGTERM');
      await new Promise((r) => { child.once('exit', r); setTimeout(r, 5000); });
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
  return browser;
}

/** A picture of the popup: Firefox has no screenshot of a panel over BiDi, so the popup's
 * current DOM is copied into an extension tab sized like the panel (same stylesheet, same
 * icons; scripts copied that way do not run), under the colour scheme asked for. */
async function shotOfPopup(browser, name, dark) {
  const { bidi, base, inOptions, inChrome } = browser;
  const html = await inOptions(`
    const view = browser.extension.getViews({ type: 'popup' })[0];
    return view.document.documentElement.innerHTML;`);
  await inChrome(`Services.prefs.setIntPref('layout.css.prefers-color-scheme.content-override', ${dark ? 0 : 1}); return true;`);
  const { context } = await bidi.send('browsingContext.create', { type: 'tab', background: true });
  try {
    await bidi.send('browsingContext.navigate', { context, url: `${base}/report.html`, wait: 'complete' });
    await bidi.send('browsingContext.setViewport', { context, viewport: { width: 400, height: 640 } });
    const height = await bidi.evaluate(context, `(() => { document.documentElement.innerHTML = ${JSON.stringify(html)}; return document.documentElement.scrollHeight; })()`);
    // The whole popup in one viewport, so that its sticky action bar sits at the bottom.
    await bidi.send('browsingContext.setViewport', { context, viewport: { width: 400, height: Math.min(Math.max(Number(height) || 640, 200), 4000) } });
    await sleep(150);
    const { data } = await bidi.send('browsingContext.captureScreenshot', { context, origin: 'document' });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS, `${name}.png`), Buffer.from(data, 'base64'));
  } finally {
    await bidi.send('browsingContext.close', { context }).catch(() => {});
    await inChrome(`Services.prefs.clearUserPref('layout.css.prefers-color-scheme.content-override'); return true;`);
  }
}
