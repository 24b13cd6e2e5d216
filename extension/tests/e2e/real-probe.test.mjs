// The popup against the real probe server scanning a real (local) TLS server with a known
// defect: a self-signed certificate served by `openssl s_server`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, openSite, openPopup, badgeText, freePort, waitForPort, startProcess, startProbe, selfSigned, sleep, firstPaint } from './harness.mjs';

let browser;
let tls;
let open;
let strict;
let dir;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-probe-e2e-'));
  selfSigned(dir, 'bad.test');
  const tlsPort = await freePort();
  tls = startProcess('openssl', [
    's_server', '-accept', `127.0.0.1:${tlsPort}`, '-cert', path.join(dir, 'cert.pem'),
    '-key', path.join(dir, 'key.pem'), '-www', '-quiet',
  ]);
  await waitForPort(tlsPort);
  const connectTo = ['--connect-to', `bad.test:443:127.0.0.1:${tlsPort}`];
  open = await startProbe(['--allow-private', ...connectTo]);
  strict = await startProbe(connectTo);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const p of [open, strict, tls]) await p?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a self-signed server is graded T, in the popup and on the badge', async () => {
  await browser.setProbe(open.url);
  await openSite(browser, 'https://bad.test/');
  const popup = await openPopup(browser);
  try {
    // The stream shows the quick verdict and progress first, when the scan is slow enough
    // to catch them: keep a picture of that moment.
    const early = `!!document.querySelector('.grade.provisional, progress[value]')`;
    for (let i = 0; i < 100; i++) {
      if (await popup.evaluate(early).catch(() => false)) {
        await popup.screenshot('real-in-progress');
        break;
      }
      if (await popup.evaluate(`!document.querySelector('button[data-action=recheck]')?.disabled`)) break;
      await sleep(30);
    }
    // Done when Re-check is enabled again (the probe may answer with a quick scan only: its
    // grade is then marked provisional, and still final for this popup).
    await popup.waitFor(`!!document.querySelector('.grade') && !document.querySelector('button[data-action=recheck]')?.disabled`, 'a finished scan', 60000);
    assert.equal(await popup.evaluate(`document.querySelector('.failure')?.textContent ?? ''`), '', 'no failure');
    assert.equal(await popup.text('.grade'), 'T');
    assert.match(await popup.text('.verdict'), /[Ss]elf-signed|not trusted|unknown issuer/);
    assert.equal(await popup.text('.status'), 'Not secure');
    assert.equal(await badgeText(browser), 'T');
    await firstPaint(popup, 'chromium', 'real probe, self-signed');
    assert.match(await popup.text('.browser-side'), /needs Firefox/);
    await popup.screenshot('real-self-signed');
  } finally {
    await popup.close();
  }
});

test('a probe that refuses loopback targets says why', async () => {
  await browser.setProbe(strict.url);
  await openSite(browser, 'https://bad.test/');
  const popup = await openPopup(browser);
  try {
    await popup.waitFor(`!!document.querySelector('.failure')`, 'a failure', 30000);
    assert.equal(await popup.text('.failure h2'), 'The probe refused to check this site');
    const reason = await popup.text('.failure p');
    assert.ok(reason.length > 10, `the probe's reason is shown: ${reason}`);
    assert.equal(await badgeText(browser), 'ERR');
    await popup.screenshot('real-refused');
  } finally {
    await popup.close();
  }
});
