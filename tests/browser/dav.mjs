// Browser test: events made through CalDAV show in the web agenda.
// A CalDAV client's requests (node:https, HTTP PUT / DELETE with Basic
// credentials, the server's certificate verified against the test
// certificate) put events into alice's default calendar; headless
// Chromium (Debian's /usr/bin/chromium via playwright-core, as run.mjs)
// logs in at /login and reads /calendar. Then a CalDAV edit (If-Match)
// and a CalDAV DELETE, each seen by the same pages and the item's link.
//
// Run: cd tests/browser && node dav.mjs  (after run.sh has installed
// playwright-core). Prints PASS:/FAIL: lines and "RESULT N passed, M failed".
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { ALICE, ALICE_PW, ARTIFACTS, Launcher, assert, runTests, withBrowser } from './harness.mjs';

// A minimal CalDAV client: one request, Basic credentials, TLS verified
// against the server's own (self-signed) certificate.
class CalDav {
  constructor(port, ca, user, password) {
    Object.assign(this, { port, ca, user, password });
  }
  request(method, urlPath, body, headers = {}) {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(body, 'utf8');
      const req = https.request({
        host: '127.0.0.1', port: this.port, method, path: urlPath, ca: this.ca,
        headers: {
          Authorization: 'Basic ' + Buffer.from(`${this.user}:${this.password}`).toString('base64'),
          ...(data ? { 'Content-Length': data.length } : {}),
          ...headers,
        },
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }
  put(urlPath, ics, headers = {}) {
    return this.request('PUT', urlPath, ics, { 'Content-Type': 'text/calendar; charset=utf-8', ...headers });
  }
}

function vcalendar(lines, extra = []) {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//infostore tests//browser caldav//EN',
    ...extra, 'BEGIN:VEVENT', ...lines, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
}

const NEW_YORK = ['BEGIN:VTIMEZONE', 'TZID:America/New_York',
  'BEGIN:DAYLIGHT', 'TZOFFSETFROM:-0500', 'TZOFFSETTO:-0400', 'TZNAME:EDT',
  'DTSTART:19700308T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU', 'END:DAYLIGHT',
  'BEGIN:STANDARD', 'TZOFFSETFROM:-0400', 'TZOFFSETTO:-0500', 'TZNAME:EST',
  'DTSTART:19701101T020000', 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU', 'END:STANDARD',
  'END:VTIMEZONE'];

// The agenda's entries: [{when, title, location, href}] in page order.
async function agenda(page) {
  return page.$$eval('ul.agenda li', (lis) => lis.map((li) => {
    const a = li.querySelector('a');
    const hint = li.querySelector('.hint');
    return { when: li.querySelector('.when')?.textContent.trim(), title: a?.textContent.trim(),
      location: hint?.textContent.trim() || '', href: a?.getAttribute('href') };
  }));
}

async function caldavToAgenda() {
  const l = new Launcher();
  try {
    const { ports, dir } = await l.call({ cmd: 'start', listeners: ['https'] });
    const conf = fs.readFileSync(path.join(dir, 'infostore.conf'), 'utf8');
    const ca = fs.readFileSync(conf.match(/^tls_cert = (.*)$/m)[1].trim());
    const dav = new CalDav(ports.https, ca, ALICE, ALICE_PW);
    const cal = `/dav/calendars/${ALICE}/calendar/`;
    const stamp = Date.now();

    // three kinds of events a calendar app sends: UTC times with a
    // location, local times with their VTIMEZONE, and an all-day event
    const board = `board-${stamp}@example.test`;
    let r = await dav.put(cal + 'board.ics', vcalendar([`UID:${board}`, 'DTSTAMP:20261201T000000Z',
      'DTSTART:20301205T090000Z', 'DTEND:20301205T100000Z', 'SUMMARY:Board review',
      'LOCATION:Room 7', 'SEQUENCE:0']), { 'If-None-Match': '*' });
    assert(r.status === 201, `PUT board.ics: ${r.status} ${r.body}`);
    let etag = r.headers.etag;
    assert(etag, 'PUT gave an ETag');
    r = await dav.put(cal + 'call.ics', vcalendar([`UID:call-${stamp}@example.test`,
      'DTSTAMP:20261201T000000Z', 'DTSTART;TZID=America/New_York:20301206T090000',
      'DTEND;TZID=America/New_York:20301206T093000', 'SUMMARY:Client call'], NEW_YORK));
    assert(r.status === 201, `PUT call.ics: ${r.status} ${r.body}`);
    r = await dav.put(cal + 'holiday.ics', vcalendar([`UID:holiday-${stamp}@example.test`,
      'DTSTAMP:20261201T000000Z', 'DTSTART;VALUE=DATE:20301207', 'DTEND;VALUE=DATE:20301208',
      'SUMMARY:Team day out', 'TRANSP:TRANSPARENT']));
    assert(r.status === 201, `PUT holiday.ics: ${r.status} ${r.body}`);

    await withBrowser(async (ctx) => {
      const page = await ctx.newPage();
      const dialogs = [];
      page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
      const base = `https://127.0.0.1:${ports.https}`;
      await page.goto(base + '/login');
      await page.getByLabel('Email address').fill(ALICE);
      await page.getByLabel('Password').fill(ALICE_PW);
      await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')),
        page.getByRole('button', { name: 'Log in' }).click()]);

      const agendaUrl = base + '/calendar?from=2030-12-01';
      await page.goto(agendaUrl);
      await page.getByRole('heading', { name: 'Agenda' }).waitFor();
      let items = await agenda(page);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dav-agenda.png'), fullPage: true });
      const byTitle = (t) => items.find((i) => i.title === t);
      // 09:00Z in the viewer's zone (Europe/Berlin, CET in December)
      assert(byTitle('Board review'), `board review in the agenda: ${JSON.stringify(items)}`);
      assert(byTitle('Board review').when === '10:00–11:00', `board review time: ${JSON.stringify(items)}`);
      assert(byTitle('Board review').location === 'Room 7', 'location shown');
      // 09:00 in New York (EST, UTC-5) is 15:00 in Berlin
      assert(byTitle('Client call')?.when === '15:00–15:30', `client call time: ${JSON.stringify(items)}`);
      assert(byTitle('Team day out')?.when === 'All day', `all-day event: ${JSON.stringify(items)}`);
      assert(items.map((i) => i.title).join('|') === 'Board review|Client call|Team day out',
        `agenda order: ${JSON.stringify(items)}`);

      // the item's page, from the agenda's link
      const itemLink = byTitle('Board review').href;
      assert(/^\/item\/[A-Za-z0-9_-]{16,}$/.test(itemLink), `item link ${itemLink}`);
      await page.getByRole('link', { name: 'Board review' }).click();
      await page.waitForURL(/\/item\//);
      await page.getByRole('heading', { name: 'Board review' }).waitFor();
      assert((await page.textContent('main')).includes('Room 7'), 'item page shows the location');
      await page.screenshot({ path: path.join(ARTIFACTS, 'dav-item.png'), fullPage: true });

      // a CalDAV client edits it (new title, moved to Monday 9 December),
      // with the ETag it has: the agenda and the same link show the change
      r = await dav.put(cal + 'board.ics', vcalendar([`UID:${board}`, 'DTSTAMP:20261202T000000Z',
        'DTSTART:20301209T130000Z', 'DTEND:20301209T140000Z', 'SUMMARY:Board review (moved)',
        'LOCATION:Room 9', 'SEQUENCE:1']), { 'If-Match': etag });
      assert(r.status === 204 || r.status === 200, `conditional PUT: ${r.status} ${r.body}`);
      // a stale ETag is refused and changes nothing
      r = await dav.put(cal + 'board.ics', vcalendar([`UID:${board}`, 'DTSTAMP:20261203T000000Z',
        'DTSTART:20301205T090000Z', 'DTEND:20301205T100000Z', 'SUMMARY:Lost update']), { 'If-Match': etag });
      assert(r.status === 412, `stale If-Match: ${r.status}`);
      await page.goto(agendaUrl);
      await page.getByRole('heading', { name: 'Agenda' }).waitFor();
      items = await agenda(page);
      assert(!byTitle('Board review') && !byTitle('Lost update'), `old title gone: ${JSON.stringify(items)}`);
      const moved = byTitle('Board review (moved)');
      assert(moved && moved.when === '14:00–15:00' && moved.location === 'Room 9',
        `moved item: ${JSON.stringify(items)}`);
      assert(items.map((i) => i.title).join('|') === 'Client call|Team day out|Board review (moved)',
        `agenda order after the move: ${JSON.stringify(items)}`);
      assert(moved.href === itemLink, 'the item keeps its link');
      await page.goto(base + itemLink);
      await page.getByRole('heading', { name: 'Board review (moved)' }).waitFor();
      await page.screenshot({ path: path.join(ARTIFACTS, 'dav-agenda-moved.png'), fullPage: true });

      // a CalDAV DELETE: gone from the agenda
      r = await dav.request('DELETE', cal + 'board.ics');
      assert(r.status === 204, `DELETE: ${r.status} ${r.body}`);
      await page.goto(agendaUrl);
      await page.getByRole('heading', { name: 'Agenda' }).waitFor();
      items = await agenda(page);
      assert(items.map((i) => i.title).join('|') === 'Client call|Team day out',
        `after DELETE: ${JSON.stringify(items)}`);
      assert(dialogs.length === 0, `no script dialogs, got ${dialogs}`);
    });
  } finally {
    await l.close();
  }
}

const tests = [
  ['caldav: PUT shows in the agenda, edit and delete follow', caldavToAgenda],
];

await runTests(tests);
