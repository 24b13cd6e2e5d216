// End-to-end harness: Debian's Chromium with the built extension, the real popup opened by
// chrome.action.openPopup() and read over the DevTools protocol, and local servers only.
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
export const FIXTURES = path.join(ROOT, 'shared/fixtures');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** Waits until something accepts connections on 127.0.0.1:port. */
export async function waitForPort(port, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** Starts a process; it is killed by `stop()`. Output is kept for failure messages. */
export function startProcess(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => { child.once('exit', r); setTimeout(r, 3000); });
      }
    },
  };
}

// The real probe server the e2e suites start (built by `cargo build -p probe-server`).
export const PROBE = path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug/probe-server');

/** The real probe, serving on a free loopback port with `args`; `url` is its address. */
export async function startProbe(args) {
  if (!fs.existsSync(PROBE)) throw new Error(`${PROBE} is missing: run \`cargo build -p probe-server\``);
  const port = await freePort();
  const proc = startProcess(PROBE, ['serve', '--listen', `127.0.0.1:${port}`, ...args], {
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  await waitForPort(port).catch((e) => { throw new Error(`${e.message}\n${proc.output()}`); });
  return { ...proc, url: `http://127.0.0.1:${port}` };
}

/** A self-signed P-256 certificate for `name` in `dir`: `{ cert, key }` paths. */
export function selfSigned(dir, name) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '30',
    '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`,
  ], { stdio: 'ignore' });
  return { cert, key };
}

export function fixture(name) {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
}

/**
 * A stand-in probe server speaking the documented API, for the states a real scan cannot
 * produce on demand. `sites` maps a host to a fixture name or to an error
 * `{ status, error, message }`; `stream` turns the SSE endpoint on.
 */
export async function startFakeProbe({ sites, stream = false, stepMs = 150, token = null }) {
  const requests = [];
  const port = await freePort();
  const reportFor = (name, host, port_) => {
    const report = fixture(name);
    report.target.host = host;
    report.target.port = port_;
    report.target.sni = host;
    return report;
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), auth: req.headers.authorization ?? null });
    const json = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/healthz') return json(200, { status: 'ok', version: '0.1.0-fake' });
    if (token && req.headers.authorization !== `Bearer ${token}`) {
      return json(401, { error: 'unauthorized', message: 'This probe wants a token.' });
    }
    const host = url.searchParams.get('host');
    const port_ = Number(url.searchParams.get('port'));
    const site = sites[host];
    if (url.pathname === '/api/v1/probe/stream') {
      if (!stream) return json(404, { error: 'bad_request', message: 'No such endpoint.' });
      if (!site) return json(400, { error: 'bad_target', message: `unknown ${host}` });
      if (typeof site !== 'string') return json(site.status, { error: site.error, message: site.message });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      const send = (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      res.write(': stream open\n\n');
      await sleep(stepMs);
      send('quick', { type: 'quick', report: reportFor('quick-provisional', host, port_) });
      const steps = ['protocols', 'cipher-suites', 'groups', 'vulnerabilities'];
      for (const [i, step] of steps.entries()) {
        await sleep(stepMs);
        send('progress', { type: 'progress', step, done: i + 1, total: steps.length });
      }
      await sleep(stepMs);
      send('report', { type: 'report', report: reportFor(site, host, port_) });
      return res.end();
    }
    if (url.pathname === '/api/v1/probe') {
      if (!site) return json(400, { error: 'bad_target', message: `unknown ${host}` });
      if (typeof site !== 'string') {
        res.setHeader('retry-after', site.retryAfter ?? '');
        return json(site.status, { error: site.error, message: site.message });
      }
      if (url.searchParams.get('quick') === '1') {
        await sleep(stepMs);
        return json(200, reportFor('quick-provisional', host, port_));
      }
      await sleep(stepMs * 4);
      return json(200, reportFor(site, host, port_));
    }
    return json(404, { error: 'bad_request', message: 'No such endpoint.' });
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { port, url: `http://127.0.0.1:${port}`, requests, stop: () => new Promise((r) => server.close(r)) };
}

/** A tiny DevTools-protocol client over the browser's WebSocket. */
class Cdp {
  static async connect(url) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    return new Cdp(ws);
  }
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      const waiter = msg.id && this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(`${waiter.method}: ${msg.error.message}`));
      else waiter.resolve(msg.result);
    });
  }
  /** Sends a command; fails after `timeoutMs` (a detached target never answers). */
  send(method, params = {}, sessionId = undefined, timeoutMs = 20000) {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (f) => (v) => { clearTimeout(timer); f(v); };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject), method });
    });
  }
  close() { this.ws.close(); }
}

/** Copies the built Chromium extension and lets it see the test sites' URLs (a real click's
 * activeTab grant cannot be made from a test). */
function prepareExtension() {
  const src = path.join(ROOT, 'dist/chromium');
  if (!fs.existsSync(path.join(src, 'manifest.json'))) {
    throw new Error('dist/chromium is missing: run `cargo xtask build-extension` first');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-probe-ext-'));
  fs.cpSync(src, dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  manifest.host_permissions.push('https://*.test/*', 'http://*.test/*');
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

/** Launches Chromium with the extension. Invented names resolve to loopback, anything else
 * to nowhere: no test ever reaches the internet. */
export async function launch() {
  const ext = prepareExtension();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-probe-profile-'));
  const ctx = await chromium.launchPersistentContext(userDir, {
    headless: false,
    executablePath: '/usr/bin/chromium',
    viewport: { width: 1000, height: 700 },
    args: [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable',
      `--disable-extensions-except=${ext}`, `--load-extension=${ext}`,
      '--remote-debugging-port=0',
      '--host-resolver-rules=MAP *.test 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
  const sw = ctx.serviceWorkers()[0] ?? (await ctx.waitForEvent('serviceworker'));
  const id = new URL(sw.url()).host;
  let active = '';
  for (let i = 0; i < 100 && !active; i++) {
    try { active = fs.readFileSync(path.join(userDir, 'DevToolsActivePort'), 'utf8'); } catch { await sleep(50); }
  }
  const [port, wsPath] = active.trim().split('\n');
  const cdp = await Cdp.connect(`ws://127.0.0.1:${port}${wsPath}`);
  return {
    ctx, sw, id, cdp,
    async setProbe(url, token = null) {
      await sw.evaluate(([u, t]) => chrome.storage.sync.set({ settings: { probe_url: u, token: t } }), [url, token]);
    },
    async close() {
      cdp.close();
      await ctx.close();
      fs.rmSync(userDir, { recursive: true, force: true });
      fs.rmSync(ext, { recursive: true, force: true });
    },
  };
}

/** Opens `url` in a fresh tab and brings it to the front. Navigation errors are fine: the
 * popup only needs the tab's address. */
export async function openSite(browser, url) {
  for (const p of browser.ctx.pages()) await p.close().catch(() => {});
  const page = await browser.ctx.newPage();
  await page.goto(url, { timeout: 5000 }).catch(() => {});
  await page.bringToFront();
  return page;
}

/** Opens the real popup and returns a handle on its document. */
export async function openPopup(browser) {
  const { cdp, sw, id } = browser;
  const popupUrl = `chrome-extension://${id}/popup.html`;
  // Close a popup left open by an earlier step.
  for (const t of (await cdp.send('Target.getTargets')).targetInfos) {
    if (t.url === popupUrl) await cdp.send('Target.closeTarget', { targetId: t.targetId }).catch(() => {});
  }
  await sw.evaluate(() => chrome.action.openPopup());
  let target;
  for (let i = 0; i < 100 && !target; i++) {
    target = (await cdp.send('Target.getTargets')).targetInfos.find((t) => t.url === popupUrl);
    if (!target) await sleep(50);
  }
  if (!target) throw new Error('the popup did not open');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: true });
  const evaluate = async (expression) => {
    const { result, exceptionDetails } = await cdp.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId);
    if (exceptionDetails) throw new Error(`popup: ${exceptionDetails.text} ${exceptionDetails.exception?.description ?? ''}`);
    return result.value;
  };
  return {
    evaluate,
    text: (selector) => evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? null`),
    async waitFor(predicate, what, timeoutMs = 15000) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        if (await evaluate(predicate).catch(() => false)) return;
        await sleep(50);
      }
      const body = await evaluate('document.body.innerText').catch(() => '?');
      throw new Error(`popup never showed ${what}; it shows:\n${body}`);
    },
    async click(selector) {
      // Clicked after the answer: a click that opens a tab closes the popup, and with it
      // the session that would have answered.
      await evaluate(`setTimeout(() => document.querySelector(${JSON.stringify(selector)}).click(), 0); true`);
      await sleep(50);
    },
    async screenshot(name, { dark = false } = {}) {
      await cdp.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: dark ? 'dark' : 'light' }] }, sessionId);
      await sleep(100);
      const { data } = await cdp.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: false }, sessionId);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS, `${name}.png`), Buffer.from(data, 'base64'));
      await cdp.send('Emulation.setEmulatedMedia', { features: [] }, sessionId);
    },
    async close() {
      await cdp.send('Target.closeTarget', { targetId: target.targetId }).catch(() => {});
    },
  };
}

/** The badge text of the active tab. */
export async function badgeText(browser) {
  return browser.sw.evaluate(async () => {
    const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
    return chrome.action.getBadgeText({ tabId: tab.id });
  });
}

/** The popup's first paint after a report arrived: the `performance.measure` the popup makes
 * from the moment the report's bytes are in (`<name>:received`, before `JSON.parse`) to the
 * task after the frame that shows it. Recorded in test-artifacts/first-paint.json; the test
 * checks the measure exists, not its value (no timing assertions in tests: a shared 2-core
 * machine would make it flaky; the budget is 100 ms and the README states the numbers). */
export async function firstPaint(popup, browserName, scenario, name = 'tls-probe:report') {
  const expr = `(performance.getEntriesByName(${JSON.stringify(name)}, 'measure')[0] || {}).duration ?? null`;
  let ms = null;
  for (let i = 0; i < 100 && ms === null; i++) {
    ms = await popup.evaluate(expr).catch(() => null);
    if (ms === null) await sleep(20);
  }
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new Error(`the popup made no ${name} measure (got ${ms})`);
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, 'first-paint.json');
  let all = {};
  try { all = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { /* first entry */ }
  all[`${browserName} ${scenario} ${name}`] = Math.round(ms * 10) / 10;
  fs.writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  console.log(`first paint (${browserName}, ${scenario}, ${name}): ${ms.toFixed(1)} ms (budget 100 ms)`);
  return ms;
}
