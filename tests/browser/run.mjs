// Browser tests of the infostore web access: headless Chromium (Debian's
// /usr/bin/chromium, never a downloaded browser) driven by playwright-core.
// Each test starts a real server through launcher.py (the integration
// tests' harness). Prints "PASS: name" / "FAIL: name" lines and ends with
// "RESULT N passed, M failed". Screenshots go to artifacts/.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(HERE, 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ALICE = 'alice@example.test', ALICE_PW = 'alice-secret';
const BOB = 'bob@example.test';
const HOST = 'mail.example.test';

fs.mkdirSync(ARTIFACTS, { recursive: true });

class Launcher {
  constructor() {
    this.proc = spawn('python3', [path.join(HERE, 'launcher.py')],
      { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = readline.createInterface({ input: this.proc.stdout });
    this.waiting = [];
    this.lines.on('line', (line) => { const w = this.waiting.shift(); if (w) w(JSON.parse(line)); });
  }
  call(req) {
    return new Promise((resolve, reject) => {
      this.waiting.push((reply) => reply.ok ? resolve(reply) : reject(new Error(`${req.cmd}: ${reply.error}`)));
      this.proc.stdin.write(JSON.stringify(req) + '\n');
    });
  }
  async close() {
    try { await this.call({ cmd: 'stop' }); } finally { this.proc.stdin.end(); }
  }
}

async function withBrowser(fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'infostore-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true,          // the test certificate is self-signed
    timezoneId: 'Europe/Berlin',      // the viewer's zone, told by app.js
    viewport: { width: 1100, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
  });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function assert(cond, msg) { if (!cond) throw new Error(msg); }

async function poll(fn, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function meetingRequest(uid, summary) {
  const ics = [
    'BEGIN:VCALENDAR', 'PRODID:-//infostore tests//EN', 'VERSION:2.0', 'METHOD:REQUEST',
    'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20261124T090000Z',
    'DTSTART:20301203T090000Z', 'DTEND:20301203T100000Z', `SUMMARY:${summary}`,
    'LOCATION:Room 4', 'DESCRIPTION:Agenda: scope\\, dates and owners.', 'SEQUENCE:0',
    'ORGANIZER;CN=Bob Example:mailto:bob@example.test',
    'ATTENDEE;CN=Alice Example;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:alice@example.test',
    'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  return [
    'From: Bob Example <bob@example.test>', 'To: Alice Example <alice@example.test>',
    `Subject: Invitation: ${summary}`, 'Date: Tue, 24 Nov 2026 09:00:00 +0000',
    `Message-ID: <${uid}.msg@example.test>`, 'MIME-Version: 1.0',
    'Content-Type: text/calendar; charset=utf-8; method=REQUEST',
    'Content-Transfer-Encoding: 8bit', '', ics].join('\r\n');
}

// The acceptance flow: a meeting request from bob (local organizer) to
// alice, its link read over IMAPS, opened in the browser, login, Accept.
async function meetingFlow(name, listeners, conf, expectScheme) {
  const l = new Launcher();
  try {
    await l.call({ cmd: 'start', listeners, conf });
    const uid = `kickoff-${Date.now()}@example.test`;
    const summary = 'Project kickoff';
    const msg = meetingRequest(uid, summary);
    // bob's own item, where organizers make meetings (mail naming him as
    // organizer is never taken as his copy)
    await l.call({ cmd: 'organizer_item', user: BOB, password: 'bob-secret',
      ics: msg.split('\r\n\r\n').slice(1).join('\r\n\r\n') });
    await l.call({ cmd: 'deliver', rcpt: ALICE, message: msg, sender: BOB });
    const { link } = await l.call({ cmd: 'imap_link', user: ALICE });
    await withBrowser(async (ctx) => {
      const page = await ctx.newPage();
      const dialogs = [];
      page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
      await page.goto(link);
      assert(page.url().startsWith(expectScheme + '://'), `landed on ${page.url()}, wanted ${expectScheme}:`);
      await page.getByLabel('Email address').waitFor();
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}-login.png`), fullPage: true });
      await page.getByLabel('Email address').fill(ALICE);
      await page.getByLabel('Password').fill(ALICE_PW);
      await Promise.all([page.waitForURL(/\/item\//), page.getByRole('button', { name: 'Log in' }).click()]);
      await page.getByRole('heading', { name: summary }).waitFor();
      const text = await page.textContent('main');
      assert(text.includes('Room 4'), 'location shown');
      assert(/bob@example\.test/.test(text), 'organizer shown');
      assert(/alice@example\.test/.test(text), 'attendees shown');
      // 09:00Z in the viewer's zone (the browser's, Europe/Berlin) and the organizer's (UTC)
      assert(text.includes('10:00–11:00 CET') && text.includes('Europe/Berlin'), `viewer's time: ${text}`);
      assert(text.includes('09:00–10:00 UTC'), "organizer's time");
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}-item.png`), fullPage: true });
      await page.getByLabel(/Comment/).fill('Looking forward to it');
      await Promise.all([page.waitForURL(/answered=1/),
        page.getByRole('button', { name: 'Accept', exact: true }).click()]);
      await page.getByText('Your answer has been saved').waitFor();
      await page.goto(new URL('/calendar?from=2030-12-01', page.url()).toString());
      await page.getByText(summary).first().waitFor();
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}-agenda.png`), fullPage: true });
      assert(dialogs.length === 0, `no script dialogs, got ${dialogs}`);
    });
    await poll(async () => (await l.call({ cmd: 'inbox_subjects', user: BOB })).subjects
      .some((s) => s.startsWith('Accepted:') && s.includes(summary)), "bob's Accepted: message");
    await poll(async () => {
      const out = (await l.call({ cmd: 'cli', args: ['calendar', 'list', BOB] })).stdout;
      return out.split('\n').some((line) => line.includes(uid) && /alice@example\.test[^\n]*ACCEPTED/i.test(line));
    }, "bob's item showing alice accepted");
  } finally {
    await l.close();
  }
}

// Everyday pages, independent of the calendar: read an HTML mail whose
// scripts must not run, page through the folder, keyboard navigation.
async function mailFlow() {
  const l = new Launcher();
  try {
    const { ports } = await l.call({ cmd: 'start', listeners: ['https'] });
    const html = '<html><body><h2 id="hello">Hello Alice</h2><script>alert("xss")</script>' +
      '<img src="x" onerror="alert(\'onerror\')"><p onmouseover="alert(1)">Quarterly numbers attached.</p></body></html>';
    await l.call({ cmd: 'deliver', rcpt: ALICE, message: [
      'From: Mallory <mallory@example.test>', `To: ${ALICE}`, 'Subject: Numbers',
      'Date: Tue, 24 Nov 2026 09:00:00 +0000', 'Message-ID: <numbers@example.test>',
      'MIME-Version: 1.0', 'Content-Type: text/html; charset=utf-8', '', html, ''].join('\r\n') });
    const base = `https://127.0.0.1:${ports.https}`;
    await withBrowser(async (ctx) => {
      const page = await ctx.newPage();
      const dialogs = [];
      page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
      await page.goto(base + '/');
      // keyboard only: the login form has focus, Tab to the password, Enter
      await page.keyboard.type(ALICE);
      await page.keyboard.press('Tab');
      await page.keyboard.type(ALICE_PW);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Inbox' }).waitFor();
      // the first Tab on a page reaches the skip link
      await page.keyboard.press('Tab');
      assert(await page.evaluate(() => document.activeElement.textContent) === 'Skip to content', 'skip link first');
      await page.getByRole('link', { name: /Numbers/ }).click();
      await page.getByRole('heading', { name: 'Numbers' }).waitFor();
      const frame = page.frameLocator('iframe.htmlbody');
      await frame.getByText('Quarterly numbers attached.').waitFor();
      await page.waitForTimeout(300);
      assert(dialogs.length === 0, `scripts ran: ${dialogs}`);
      const inner = await frame.locator('body').innerHTML();
      assert(!/script|onerror|onmouseover/i.test(inner), `sanitised body: ${inner}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'mail-message.png'), fullPage: true });
      // a phone-sized screen: no horizontal scrolling
      await page.setViewportSize({ width: 375, height: 740 });
      await page.goto(base + '/mail');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 1, `page wider than a phone by ${overflow}px`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'mail-phone.png'), fullPage: true });
    });
  } finally {
    await l.close();
  }
}

const tests = [
  ['mail: html mail without scripts, keyboard, phone width', mailFlow],
  ['meeting: https link, login, accept', () => meetingFlow('https', ['imaps', 'https'], {}, 'https')],
  // a plain-HTTP web access takes passwords only from plaintext_auth_from
  ['meeting: plain http setup', () => meetingFlow('http', ['imaps', 'http'],
    { server: { plaintext_auth_from: '127.0.0.1/32' } }, 'http')],
  ['meeting: http link through the redirect listener', () => meetingFlow('redirect',
    ['imaps', 'https', 'redirect'], { web: { public_url: `http://${HOST}:{redirect}` } }, 'https')],
];

let passed = 0, failed = 0;
const only = process.env.BROWSER_TESTS;
for (const [name, fn] of tests) {
  if (only && !name.includes(only)) continue;
  const start = Date.now();
  try {
    await fn();
    passed++;
    console.log(`PASS: ${name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.log(`FAIL: ${name}\n  ${String(e.stack || e).split('\n').slice(0, 6).join('\n  ')}`);
  }
}
console.log(`RESULT ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
