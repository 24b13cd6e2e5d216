// The add-on in Firefox ESR: the real popup, opened as a toolbar click opens it, against the
// real probe server scanning a real TLS server (openssl s_server on 127.0.0.1:443 of this
// test's own network namespace), and against stand-in probes for the history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitForPort, startProcess, startProbe, selfSigned, startFakeProbe, firstPaint } from '../e2e/harness.mjs';
import { launchFirefox } from './harness.mjs';

let browser;
let tls;
let open;
let strict;
let before1;
let after1;
let dir;
let browserSide;
let probeSide;
let elsewhere;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-probe-ff-e2e-'));
  selfSigned(dir, 'bad.test');
  // Port 443 of this namespace's loopback: the tab's address is plain https://bad.test/.
  tls = startProcess('openssl', [
    's_server', '-accept', '127.0.0.1:443', '-cert', path.join(dir, 'cert.pem'),
    '-key', path.join(dir, 'key.pem'), '-www', '-quiet',
  ]);
  await waitForPort(443).catch((e) => { throw new Error(`${e.message} (run inside \`unshare --net\`)\n${tls.output()}`); });
  // seen.test: a test CA (trusted in the Firefox profile) issued two certificates for it. The
  // browser reaches the server on :4443 with one; the probe is told by --connect-to to scan
  // the one on :8443 with the other, as if something intercepted the browser's connection.
  const ossl = (...args) => execFileSync('openssl', args, { stdio: 'ignore' });
  const f = (n) => path.join(dir, n);
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '30', '-subj', '/CN=TLS Probe Test Interception CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  for (const leaf of ['browser', 'probe']) {
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f(`${leaf}.key`), '-out', f(`${leaf}.csr`), '-subj', '/CN=seen.test');
    fs.writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:seen.test\nextendedKeyUsage=serverAuth\n');
    ossl('x509', '-req', '-in', f(`${leaf}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '30', '-out', f(`${leaf}.pem`), '-extfile', f('ext.cnf'));
  }
  browserSide = startProcess('openssl', ['s_server', '-accept', '127.0.0.1:4443', '-cert', f('browser.pem'), '-key', f('browser.key'), '-www', '-quiet']);
  probeSide = startProcess('openssl', ['s_server', '-accept', '127.0.0.1:8443', '-cert', f('probe.pem'), '-key', f('probe.key'), '-cert_chain', f('ca.pem'), '-www', '-quiet']);
  await waitForPort(4443);
  await waitForPort(8443);
  elsewhere = await startProbe(['--allow-private', '--allow-port', '4443', '--connect-to', 'seen.test:4443:127.0.0.1:8443']);
  const connectTo = ['--connect-to', 'bad.test:443:127.0.0.1:443'];
  open = await startProbe(['--allow-private', ...connectTo]);
  strict = await startProbe(connectTo);
  // The same site seen twice, days apart: strong first, then with TLS 1.0 and 3DES on.
  before1 = await startFakeProbe({ sites: { 'changed.test': 'strong-a-plus' } });
  after1 = await startFakeProbe({ stream: true, sites: { 'changed.test': 'legacy-tls10-3des' } });
  browser = await launchFirefox({ localDomains: ['bad.test', 'changed.test', 'seen.test'], caPem: fs.readFileSync(f('ca.pem'), 'utf8') });
});

after(async () => {
  await browser?.close();
  for (const p of [open, strict, tls, before1, after1, elsewhere, browserSide, probeSide]) await p?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('Firefox: a self-signed server is graded T in the popup and on the badge, which survives a reload', async () => {
  await browser.setProbe(open.url);
  await browser.openSite('https://bad.test/');
  const popup = await browser.openPopup();
  await popup.waitFor(`document.querySelector('.grade') && !document.querySelector('button[data-action=recheck]')?.disabled`, 'a finished scan', 90000);
  assert.equal(await popup.evaluate(`document.querySelector('.failure')?.textContent ?? ''`), '', 'no failure');
  assert.equal(await popup.text('.grade'), 'T');
  assert.match(await popup.text('.verdict'), /[Ss]elf-signed|not trusted|unknown issuer/);
  assert.equal(await popup.text('.status'), 'Not secure');
  // Firefox can compare with its own connection, once the person grants it for the site.
  assert.match(await popup.text('.browser-side'), /Compare with this browser/);
  const ms = await popup.measure('tls-probe:report');
  assert.ok(typeof ms === 'number' && ms >= 0, `the popup measured its first paint (${ms})`);
  await firstPaint({ evaluate: async () => ms }, 'firefox', 'real probe, self-signed');
  await popup.screenshot('firefox-real-self-signed');
  await popup.screenshot('firefox-real-self-signed-dark', { dark: true });
  assert.equal((await browser.badge()).text, 'T');
  await popup.close();

  // activeTab is tied to the document in Firefox: after a reload the worker cannot see the
  // URL, and still puts the grade back for the tab the popup graded.
  await browser.reload();
  let badge;
  for (let i = 0; i < 100; i++) {
    badge = await browser.badge();
    if (badge.text === 'T') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(badge.text, 'T', 'the badge is back after the reload');
  assert.match(badge.title, /bad\.test graded T/);
  assert.deepEqual(await browser.consoleErrors(), [], 'nothing logged an error');
});

test('Firefox: the next visit says what changed, and the badge marks the drop', async () => {
  await browser.setProbe(before1.url);
  await browser.openSite('https://changed.test/');
  let popup = await browser.openPopup();
  await popup.waitFor(`document.querySelector('.grade')?.textContent === 'A+'`, 'grade A+');
  assert.equal(await popup.evaluate(`document.querySelector('.changes')`), null, 'a first visit has no changes');
  await popup.close();

  await browser.setProbe(after1.url);
  popup = await browser.openPopup();
  await popup.waitFor(`document.querySelector('.grade')?.textContent === 'C' && document.querySelector('.changes')`, 'grade C and its changes');
  const changes = await popup.text('.changes');
  assert.match(changes, /Since your last visit/);
  assert.match(changes, /Grade fell from A\+ to C: Vulnerable to Sweet32.*Accepts 3DES/);
  await popup.screenshot('firefox-history-drop');
  assert.equal((await browser.badge()).text, 'C\u2193');
  await popup.close();

  // The options page lists the site, and clears the history.
  const listed = await browser.inOptions(`location.reload(); await new Promise((r) => setTimeout(r, 50)); return true;`).catch(() => true);
  assert.ok(listed);
  let rows = '';
  for (let i = 0; i < 100 && !rows.includes('changed.test'); i++) {
    rows = await browser.inOptions(`return document.querySelector('#history')?.textContent ?? '';`).catch(() => '');
    if (!rows.includes('changed.test')) await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(rows, /changed\.test/);
  await browser.inOptions(`document.querySelector('#clear-history').click(); return true;`);
  let empty = '';
  for (let i = 0; i < 100 && empty !== 'No site checked yet.'; i++) {
    empty = await browser.inOptions(`return document.querySelector('#history')?.textContent ?? '';`);
    if (empty !== 'No site checked yet.') await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(empty, 'No site checked yet.');
  assert.deepEqual(await browser.inOptions(`return JSON.stringify(await browser.storage.local.get('history'));`), '{}');
});

test('Firefox: a probe that refuses loopback targets says why', async () => {
  await browser.setProbe(strict.url);
  await browser.openSite('https://bad.test/');
  const popup = await browser.openPopup();
  await popup.waitFor(`document.querySelector('.failure')`, 'a failure', 30000);
  assert.equal(await popup.text('.failure h2'), 'The probe refused to check this site');
  assert.equal((await browser.badge()).text, 'ERR');
  await popup.close();
});

test('Firefox: a leaf the probe never saw makes the popup warn, naming the issuer the browser was shown', async () => {
  // What the popup's "Compare with this browser" button asks for, granted as the person would.
  await browser.inChrome(`
    const { ExtensionPermissions } = ChromeUtils.importESModule('resource://gre/modules/ExtensionPermissions.sys.mjs');
    const { ExtensionParent } = ChromeUtils.importESModule('resource://gre/modules/ExtensionParent.sys.mjs');
    const extension = ExtensionParent.GlobalManager.getExtension('tls-probe@tls-probe.example');
    await ExtensionPermissions.add('tls-probe@tls-probe.example', { permissions: ['webRequest', 'webRequestBlocking'], origins: ['https://seen.test/*'] }, extension);
    return true;`);
  await browser.setProbe(elsewhere.url);
  let saw = null;
  for (let i = 0; i < 40 && !saw; i++) {
    await browser.openSite('https://seen.test:4443/');
    saw = await browser.inOptions(`return JSON.stringify(Object.values(await browser.storage.session.get()).find((v) => v && v.site === 'seen.test:4443') ?? null);`).then(JSON.parse);
    if (!saw) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(saw, 'the worker kept what the browser saw');
  assert.match(saw.issuer, /TLS Probe Test Interception CA/);
  const popup = await browser.openPopup();
  await popup.waitFor(`document.querySelector('.intercepted') && !document.querySelector('button[data-action=recheck]')?.disabled`, 'the interception warning', 90000);
  assert.match(await popup.text('.intercepted h2'), /another certificate than the site serves/);
  assert.match(await popup.text('.intercepted p'), /issued by CN=TLS Probe Test Interception CA/);
  assert.match(await popup.text('.browser-side'), /TLSv1\.3/);
  await popup.screenshot('firefox-interception');
  await popup.screenshot('firefox-interception-dark', { dark: true });
  assert.deepEqual(await browser.consoleErrors(), [], 'nothing logged an error');
  await popup.close();
});
