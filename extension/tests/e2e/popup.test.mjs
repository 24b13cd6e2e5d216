// The popup against a stand-in probe: every state, deterministically.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openSite, openPopup, badgeText, startFakeProbe, freePort, sleep, firstPaint } from './harness.mjs';
import http from 'node:http';

let browser;
let streaming;
let plain;

before(async () => {
  streaming = await startFakeProbe({
    stream: true,
    sites: {
      'bad.test': 'self-signed',
      'strong.test': 'strong-a-plus',
      'refused.test': { status: 403, error: 'target_forbidden', message: 'refused.test resolves to 127.0.0.1, a loopback address; this probe does not scan private networks.' },
    },
  });
  plain = await startFakeProbe({
    sites: {
      'legacy.test': 'legacy-tls10-3des',
      'expired.test': 'expired-cert',
      'heartbleed.test': 'heartbleed-f',
      'mismatch.test': 'name-mismatch',
      'slow.test': { status: 504, error: 'timeout', message: 'slow.test did not finish the handshake within 10 s.' },
    },
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await streaming?.stop();
  await plain?.stop();
});

test('streamed scan: quick verdict, progress, then the final grade and badge', async () => {
  await browser.setProbe(streaming.url);
  await openSite(browser, 'https://bad.test/');
  const popup = await openPopup(browser);
  await popup.waitFor(`document.querySelector('.progress')?.textContent.includes('steps done')`, 'progress');
  assert.equal(await popup.text('.grade'), 'A', 'the quick verdict shows first');
  assert.match(await popup.text('.provisional-note'), /^Provisional/);
  assert.equal(await badgeText(browser), '…');
  await popup.screenshot('popup-progress');
  await popup.waitFor(`document.querySelector('.grade')?.textContent === 'T'`, 'grade T');
  assert.equal(await popup.text('.verdict'), 'Self-signed certificate');
  assert.equal(await popup.text('.status'), 'Not secure');
  assert.equal(await popup.evaluate(`document.querySelector('.progress')`), null);
  assert.equal(await badgeText(browser), 'T');
  await firstPaint(popup, 'chromium', 'stream, self-signed', 'tls-probe:quick');
  await firstPaint(popup, 'chromium', 'stream, self-signed');
  await popup.screenshot('popup-self-signed');
  await popup.screenshot('popup-self-signed-dark', { dark: true });
  await popup.close();
});

test('a strong site, with the chain opened', async () => {
  await browser.setProbe(streaming.url);
  await openSite(browser, 'https://strong.test/');
  const popup = await openPopup(browser);
  await popup.waitFor(`document.querySelector('.grade')?.textContent === 'A+'`, 'grade A+');
  assert.equal(await popup.text('.verdict'), 'Strong TLS');
  await popup.click('details.chain > summary');
  assert.equal(await popup.evaluate(`document.querySelectorAll('button[data-action=copy]').length`), 4);
  await popup.screenshot('popup-strong-a-plus');
  assert.equal(await badgeText(browser), 'A+');
  await popup.click('button[data-action=copy]');
  assert.equal(await popup.text('button[data-action=copy]'), 'Copied');
  // The full JSON report opens in a tab of its own.
  const opened = browser.ctx.waitForEvent('page');
  await popup.click('a[href^="report.html"]');
  const reportPage = await opened;
  await reportPage.waitForFunction(() => document.querySelector('#json').textContent.includes('"grade"'));
  const json = JSON.parse(await reportPage.textContent('#json'));
  assert.equal(json.grade, 'A+');
  assert.equal(json.target.host, 'strong.test');
  assert.equal(await reportPage.title(), 'TLS report: strong.test');
  await reportPage.close();
  await popup.close();
});

test('no stream: the plain endpoint answers; Re-check refreshes', async () => {
  await browser.setProbe(plain.url);
  await openSite(browser, 'https://legacy.test/');
  const popup = await openPopup(browser);
  await popup.waitFor(`document.querySelector('.grade')?.textContent === 'C'`, 'grade C');
  assert.match(await popup.text('.caps'), /What holds the grade at C.*rises to B/);
  assert.match(await popup.text('.findings'), /Accepts obsolete TLS 1\.0/);
  assert.equal(await badgeText(browser), 'C');
  await firstPaint(popup, 'chromium', 'plain, legacy');
  await popup.screenshot('popup-legacy-c');
  await popup.evaluate(`(() => { const f = document.querySelector('details.finding'); f.open = true; document.querySelector('.findings').scrollIntoView(); })()`);
  await popup.screenshot('popup-legacy-findings');
  const paths = plain.requests.filter((r) => r.query.host === 'legacy.test');
  assert.ok(paths.some((r) => r.path === '/api/v1/probe/stream'), 'the stream was tried');
  assert.ok(paths.some((r) => r.path === '/api/v1/probe' && !r.query.quick), 'the full scan was asked for');

  const before = plain.requests.length;
  await popup.click('button[data-action=recheck]');
  await popup.waitFor(`!document.querySelector('button[data-action=recheck]').disabled`, 'the re-check to finish');
  const again = plain.requests.slice(before);
  assert.ok(again.length > 0 && again.every((r) => r.query.refresh === '1'), 'Re-check bypasses the cache');
  await popup.close();
});

test('more report states render and are screenshotted', async () => {
  await browser.setProbe(plain.url);
  for (const [host, grade, verdict] of [
    ['expired.test', 'T', 'Certificate expired 3 days ago'],
    ['heartbleed.test', 'F', 'Vulnerable to Heartbleed'],
    ['mismatch.test', 'M', 'Certificate is not for mismatch.test'],
  ]) {
    await openSite(browser, `https://${host}/`);
    const popup = await openPopup(browser);
    await popup.waitFor(`document.querySelector('.grade')?.textContent === ${JSON.stringify(grade)}`, `grade ${grade}`);
    assert.equal(await popup.text('.verdict'), verdict);
    await popup.screenshot(`popup-${host.split('.')[0]}`);
    await popup.close();
  }
});

test('the probe refusing the target shows its reason', async () => {
  await browser.setProbe(streaming.url);
  await openSite(browser, 'https://refused.test/');
  const popup = await openPopup(browser);
  await popup.waitFor(`!!document.querySelector('.failure')`, 'a failure');
  assert.match(await popup.text('.failure h2'), /refused to check this site/);
  assert.match(await popup.text('.failure p'), /loopback address/);
  assert.equal(await badgeText(browser), 'ERR');
  await popup.screenshot('popup-refused');
  await popup.close();
});

test('a timeout says so', async () => {
  await browser.setProbe(plain.url);
  await openSite(browser, 'https://slow.test/');
  const popup = await openPopup(browser);
  await popup.waitFor(`!!document.querySelector('.failure')`, 'a failure');
  assert.equal(await popup.text('.failure h2'), 'The scan timed out');
  assert.equal(await badgeText(browser), 'ERR');
  await popup.close();
});

test('probe down: what to check, and a way to the options', async () => {
  await browser.setProbe(`http://127.0.0.1:${await freePort()}`);
  await openSite(browser, 'https://bad.test/');
  const popup = await openPopup(browser);
  await popup.waitFor(`!!document.querySelector('.failure')`, 'a failure');
  assert.equal(await popup.text('.failure h2'), 'Cannot reach the probe server');
  assert.equal(await popup.evaluate(`!!document.querySelector('.failure button[data-action=options]')`), true);
  assert.equal(await badgeText(browser), 'ERR');
  await popup.screenshot('popup-probe-down');
  await popup.close();
});

test('plain http pages need no probe', async () => {
  const server = http.createServer((req, res) => res.end('<title>plain</title>plain'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    await browser.setProbe(streaming.url);
    const before = streaming.requests.length;
    await openSite(browser, `http://plain.test:${server.address().port}/`);
    const popup = await openPopup(browser);
    await popup.waitFor(`!!document.querySelector('.verdict')`, 'a verdict');
    assert.equal(await popup.text('.verdict'), 'This page is not encrypted');
    assert.equal(await badgeText(browser), 'HTTP');
    assert.equal(streaming.requests.length, before, 'no probe request');
    await popup.screenshot('popup-plain-http');
    await popup.close();
  } finally {
    server.close();
  }
});

test('browser pages need no probe', async () => {
  await openSite(browser, 'chrome://version/');
  const popup = await openPopup(browser);
  await popup.waitFor(`!!document.querySelector('.host')`, 'a title');
  assert.match(await popup.text('.explain'), /browser's own pages/);
  assert.equal(await badgeText(browser), '');
  await popup.screenshot('popup-browser-page');
  await popup.close();
});

test('the badge resets when the tab goes to another site', async () => {
  await browser.setProbe(streaming.url);
  const page = await openSite(browser, 'https://strong.test/');
  const popup = await openPopup(browser);
  await popup.waitFor(`document.querySelector('.grade')?.textContent === 'A+'`, 'grade A+');
  await popup.close();
  assert.equal(await badgeText(browser), 'A+');
  await page.goto('https://strong.test/other', { timeout: 5000 }).catch(() => {});
  await sleep(300);
  assert.equal(await badgeText(browser), 'A+', 'same site: the grade stays');
  await page.goto('https://bad.test/', { timeout: 5000 }).catch(() => {});
  let text = 'A+';
  for (let i = 0; i < 40 && text !== ''; i++) { await sleep(50); text = await badgeText(browser); }
  assert.equal(text, '', 'another site: the badge is cleared');
});

test('options page: test connection and save', async () => {
  const page = await browser.ctx.newPage();
  await page.goto(`chrome-extension://${browser.id}/options.html`);
  await page.fill('#probe-url', plain.url);
  await page.click('#test');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Connected'));
  assert.equal(await page.textContent('#status'), 'Connected: probe server 0.1.0-fake is up.');
  await page.fill('#probe-url', `${plain.url}/`);
  await page.fill('#token', 's3cret');
  await page.click('#save');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Saved'));
  const saved = await browser.sw.evaluate(() => chrome.storage.sync.get('settings'));
  assert.deepEqual(saved.settings, { probe_url: plain.url, token: 's3cret' });
  await page.fill('#probe-url', 'ftp://nope');
  await page.click('#save');
  assert.match(await page.textContent('#status'), /http:\/\/ or https:\/\//);
  await page.screenshot({ path: `${(await import('./harness.mjs')).ARTIFACTS}/options.png` });
  await page.close();
});
