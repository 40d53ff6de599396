// What the browser scripts (run.mjs, dav.mjs, a11y.mjs) share: the server
// launcher (launcher.py, the integration tests' harness, spoken to in JSON
// lines), headless Chromium (Debian's /usr/bin/chromium, never a
// downloaded browser) through playwright-core, and the runner that prints
// "PASS: name" / "FAIL: name" lines and "RESULT N passed, M failed".
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.join(HERE, 'artifacts');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ALICE = 'alice@example.test', ALICE_PW = 'alice-secret';
export const BOB = 'bob@example.test', BOB_PW = 'bob-secret';
export const HOST = 'mail.example.test';

fs.mkdirSync(ARTIFACTS, { recursive: true });

export class Launcher {
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

// A fresh browser profile for fn(context); options go to playwright's
// launchPersistentContext (bypassCSP, javaScriptEnabled, ...).
export async function withBrowser(fn, options = {}) {
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
    ...options,
  });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function assert(cond, msg) { if (!cond) throw new Error(msg); }

export async function poll(fn, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// A meeting request from bob (organizer) to alice, as mail.
export function meetingRequest(uid, summary) {
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

// Log in through the form at base + '/login' (or wherever start leads).
export async function login(page, base, user, password, start = '/login') {
  await page.goto(base + start);
  await page.getByLabel('Email address').fill(user);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')),
    page.getByRole('button', { name: 'Log in' }).click()]);
}

// Run [name, async fn] pairs (only those whose name holds $BROWSER_TESTS,
// when set), print a line each and the RESULT line, and exit (1 if any
// failed); with { exit: false } return how many failed instead.
export async function runTests(tests, { exit = true } = {}) {
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
      // the whole message (a11y.mjs lists every violation in it), then
      // where it was thrown
      const frames = String(e.stack || '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 5);
      console.log(`FAIL: ${name}\n  ${[String(e.message || e), ...frames.map((l) => l.trim())].join('\n  ')}`);
    }
  }
  console.log(`RESULT ${passed} passed, ${failed} failed`);
  if (exit)
    process.exit(failed ? 1 : 0);
  return failed;
}
