// Accessibility of every page of the web access, checked with axe-core
// (npm, injected from node_modules: nothing is fetched at test time) in
// headless Chromium: each page of PAGES at desktop and phone widths, in
// the light and the dark theme (the system's preference, emulated). A
// page fails on any violation of impact serious or critical; each is
// printed with its rule, the elements and the rule's help page. Lesser
// findings are listed at the end as notes.
//
// Then the footer's theme choice: made without JavaScript, it outweighs
// the system's preference, and the chosen palette passes axe too.
//
// Run: cd tests/browser && node a11y.mjs (after run.sh has installed
// node_modules). Prints PASS:/FAIL: lines and "RESULT N passed, M failed".
// A11Y_PAGES=name,name checks only those pages; A11Y_SHOTS=1 keeps a
// screenshot of every page view.
import fs from 'node:fs';
import path from 'node:path';
import {
  ALICE, ALICE_PW, ARTIFACTS, BOB, BOB_PW, HERE, Launcher, assert, login, meetingRequest,
  runTests, withBrowser,
} from './harness.mjs';

const AXE = path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js');

// The pages. One line a page:
//   name     the test's name (and a11y-dark-NAME.png when shot is set)
//   path     where it is; or
//   from, link   the page a link leads to: from is a path or the name of
//            a page above, link the link's accessible name (string: exact)
//   frame    with from: the src of this iframe on that page instead
//   fill     { label: value } filled in once the page is open
//   type     { label: text } typed key by key (the address completion),
//            then the page waits for a completion to be offered
//   press    a button (by name) pressed then: the page checked is the
//            one it leads to (a form with its errors)
//   status   the HTTP status expected (200)
//   anon     checked logged out
//   skip     axe rules left out on this page, each with its reason
const PAGES = [
  { name: 'login', path: '/login', anon: true },
  { name: 'login-failed', path: '/login', anon: true, status: 403,
    fill: { 'Email address': ALICE, Password: 'not-her-password' }, press: 'Log in' },
  { name: 'not-found', path: '/no/such/page', anon: true, status: 404 },
  { name: 'mail', path: '/mail', shot: true },
  { name: 'folder-sent', from: '/mail', link: /^Sent/ },
  { name: 'message-text', from: '/mail', link: /Agenda attached/ },
  { name: 'message-html', from: '/mail', link: /Newsletter/ },
  // the document in the message's frame (with a lang from the message's
  // Content-Language; without one it has none, as axe asks of no frame)
  { name: 'message-html-body', from: 'message-html', frame: 'iframe.htmlbody' },
  { name: 'message-meeting', from: '/mail', link: /Invitation: Design review/ },
  { name: 'message-sent', from: 'folder-sent', link: /Lunch plans/ },
  { name: 'compose', path: '/mail/compose' },
  { name: 'compose-reply', from: 'message-text', link: 'Reply' },
  { name: 'compose-forward', from: 'message-text', link: 'Forward' },
  { name: 'compose-errors', path: '/mail/compose', press: 'Send', status: 400 },
  { name: 'search', path: '/mail/search?q=agenda' },
  { name: 'search-empty', path: '/mail/search?q=nothing-matches-this' },
  { name: 'folders', path: '/mail/folders' },
  { name: 'outbox', path: '/mail/outbox' },
  { name: 'calendar-agenda', path: '/calendar?from=2030-12-01' },
  { name: 'calendar-day', path: '/calendar/day?date=2030-12-05' },
  { name: 'calendar-week', path: '/calendar/week?date=2030-12-05', shot: true },
  { name: 'calendar-month', path: '/calendar/month?date=2030-12-01' },
  { name: 'new-meeting', path: '/calendar/new?date=2030-12-05' },
  { name: 'new-meeting-errors', path: '/calendar/new?date=2030-12-05', press: 'Send invitations', status: 400 },
  { name: 'meeting-organizer', from: 'calendar-agenda', link: 'Team sync' },
  { name: 'meeting-edit', from: 'meeting-organizer', link: 'Edit' },
  { name: 'meeting-invited', from: 'message-meeting', link: 'Open in calendar' },
  // a meeting's link opened logged out: the login form says why
  { name: 'login-for-meeting', from: 'message-meeting', link: 'Open in calendar', anon: true },
  { name: 'compose-completion', path: '/mail/compose', type: { To: 'lindq' } },
  { name: 'contacts', path: '/contacts' },
  { name: 'contacts-search', path: '/contacts?q=lind' },
  { name: 'contact', from: 'contacts', link: /Annika Lindqvist/ },
  { name: 'contact-edit', from: 'contact', link: 'Edit' },
  { name: 'contact-new', path: '/contacts/new' },
  { name: 'contact-new-errors', path: '/contacts/new', status: 400,
    fill: { 'First name': 'Annika', 'Phone number 1': 'call me' }, press: 'Save' },
  { name: 'settings', path: '/settings', shot: true },
  { name: 'settings-errors', path: '/settings', status: 400,
    fill: { 'Current password': 'not-checked', 'New password': 'abcdefgh',
      'New password again': 'abcdefgX' }, press: 'Change password' },
  { name: 'not-found-logged-in', path: '/mail/999999', status: 404 },
  { name: 'bad-request', path: '/mail/search?q=%ZZ', status: 400 },
];

const WIDTHS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
const THEMES = ['light', 'dark'];
const FAILING = new Set(['serious', 'critical']);
// Rules axe leaves off by default, asked for here: WCAG 2.2's target size
// (taps on a phone), and the experimental table and heading checks.
const EXTRA_RULES = ['target-size', 'td-has-header', 'p-as-heading', 'table-fake-caption',
  'css-orientation-lock'];

function message(from, to, subject, headers, body) {
  return [`From: ${from}`, `To: ${to}`, `Subject: ${subject}`, 'Date: Tue, 24 Nov 2026 09:00:00 +0000',
    `Message-ID: <${subject.replace(/\W/g, '')}@example.test>`, 'MIME-Version: 1.0', ...headers, '',
    body, ''].join('\r\n');
}

// alice's mail and calendar: a text message with an attachment, an HTML
// message, a meeting request from bob, and a meeting of her own.
async function seed(l) {
  await l.call({ cmd: 'deliver', rcpt: ALICE, message: message('Bob Example <bob@example.test>', ALICE,
    'Agenda attached', ['Content-Type: multipart/mixed; boundary="b1"'], [
      '--b1', 'Content-Type: text/plain; charset=utf-8', '',
      'Here is the agenda for Thursday, see https://example.org/agenda.', '',
      '--b1', 'Content-Type: application/pdf; name="agenda.pdf"',
      'Content-Disposition: attachment; filename="agenda.pdf"', 'Content-Transfer-Encoding: base64', '',
      Buffer.from('%PDF-1.4 not really').toString('base64'), '--b1--'].join('\r\n')) });
  await l.call({ cmd: 'deliver', rcpt: ALICE, message: message('News <news@example.org>', ALICE,
    'Newsletter', ['Content-Type: text/html; charset=utf-8', 'Content-Language: en'],
    '<html lang="en"><body><h1>This month</h1><p>Three things happened.</p>' +
    '<table><tr><th>What</th><th>When</th></tr><tr><td>Launch</td><td>Monday</td></tr></table>' +
    '<p><a href="https://example.org/more">Read more</a></p></body></html>') });
  const invite = meetingRequest(`design-${Date.now()}@example.test`, 'Design review');
  await l.call({ cmd: 'organizer_item', user: BOB, password: BOB_PW,
    ics: invite.split('\r\n\r\n').slice(1).join('\r\n\r\n') });
  await l.call({ cmd: 'deliver', rcpt: ALICE, message: invite, sender: BOB });
  await l.call({ cmd: 'organizer_item', user: ALICE, password: ALICE_PW, ics: [
    'BEGIN:VCALENDAR', 'PRODID:-//infostore tests//EN', 'VERSION:2.0',
    'BEGIN:VEVENT', `UID:sync-${Date.now()}@example.test`, 'DTSTAMP:20261124T090000Z',
    'DTSTART:20301205T130000Z', 'DTEND:20301205T140000Z', 'SUMMARY:Team sync', 'LOCATION:Room 2',
    'SEQUENCE:0', 'ORGANIZER;CN=Alice Example:mailto:alice@example.test',
    'ATTENDEE;CN=Bob Example;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.test',
    'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n') });
  await l.call({ cmd: 'organizer_item', user: ALICE, password: ALICE_PW, ics: [
    'BEGIN:VCALENDAR', 'PRODID:-//infostore tests//EN', 'VERSION:2.0',
    'BEGIN:VEVENT', `UID:offsite-${Date.now()}@example.test`, 'DTSTAMP:20261124T090000Z',
    'DTSTART;VALUE=DATE:20301206', 'DTEND;VALUE=DATE:20301207', 'SUMMARY:Offsite',
    'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n') });
}

// Where each page is, found once (links followed by their names).
async function resolvePages(page, base) {
  const urls = {};
  for (const p of PAGES) {
    if (p.path) {
      urls[p.name] = base + p.path;
      continue;
    }
    const from = p.from.startsWith('/') ? base + p.from : urls[p.from];
    assert(from, `${p.name}: no page ${p.from} above it`);
    await page.goto(from);
    const href = p.frame ? await page.locator(p.frame).getAttribute('src')
      : await page.getByRole('link', { name: p.link, exact: typeof p.link === 'string' }).first()
        .getAttribute('href');
    assert(href, `${p.name}: nothing to follow on ${from}`);
    urls[p.name] = new URL(href, from).toString();
  }
  return urls;
}

function describe(v) {
  const nodes = v.nodes.slice(0, 8).map((n) => {
    const data = n.any.concat(n.all, n.none).map((c) => c.data).find((d) => d && d.contrastRatio);
    const why = v.impact.endsWith('undecided') ? n.any.concat(n.all, n.none).map((c) => c.message).join(' ') : '';
    return `      ${n.target.join(' ')}${why ? ` (${why})` : ''}` +
      (data ? `  (${data.fgColor} on ${data.bgColor}: ${data.contrastRatio}, wants ${data.expectedContrastRatio})` : '');
  });
  if (v.nodes.length > 8) nodes.push(`      ... and ${v.nodes.length - 8} more`);
  return [`${v.id} (${v.impact}): ${v.help}`, ...nodes, `      ${v.helpUrl}`].join('\n    ');
}

// Runs in the page. The contrast of each of targets (CSS selectors) with
// what is behind it: its own and its ancestors' background colours,
// blended up to the first opaque one; and of each pair of the palette's
// variables [text, background, ratio wanted]. For what axe leaves
// undecided (text under the hour grid's sticky heading, or scrolled out
// of its box), and for colours no page of the test happens to show.
function colorCheck({ targets, pairs }) {
  const rgba = (c) => {
    const m = /rgba?\(([^)]*)\)/.exec(c);
    const v = m ? m[1].split(/[\s,/]+/).filter(Boolean).map(Number) : [0, 0, 0, 0];
    return v.length === 3 ? v.concat(1) : v;
  };
  const over = (top, under) => top.slice(0, 3).map((v, i) => v * top[3] + under[i] * (1 - top[3])).concat(1);
  const lum = (c) => c.slice(0, 3).map((v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const text = (c) => `rgb(${c.slice(0, 3).map(Math.round).join(', ')})`;
  const out = [];
  for (const sel of targets) {
    const el = document.querySelector(sel);
    if (!el) continue;
    const layers = [];
    for (let e = el; e && (layers.length === 0 || layers[layers.length - 1][3] < 1); e = e.parentElement) {
      const bg = rgba(getComputedStyle(e).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
    }
    const bg = layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]);
    const style = getComputedStyle(el);
    const fg = over(rgba(style.color), bg);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    out.push({ what: sel, ratio: ratio(fg, bg), want: size >= 24 || (bold && size >= 18.66) ? 3 : 4.5,
      fg: text(fg), bg: text(bg) });
  }
  const probe = document.body.appendChild(document.createElement('span'));
  const resolve = (name) => { probe.style.color = `var(${name})`; return rgba(getComputedStyle(probe).color); };
  for (const [fgName, bgName, want] of pairs) {
    const fg = resolve(fgName), bg = resolve(bgName);
    out.push({ what: `${fgName} on ${bgName}`, ratio: ratio(fg, bg), want, fg: text(fg), bg: text(bg) });
  }
  probe.remove();
  return out.filter((r) => r.ratio < r.want).map((r) => ({ ...r, ratio: Math.round(r.ratio * 100) / 100 }));
}

// The palette's pairs as web-assets.c promises them.
const TEXTS = ['--fg', '--muted', '--accent', '--ok', '--warn', '--bad'];
const PALETTE_PAIRS = TEXTS.flatMap((fg) => ['--bg', '--card', '--accent-soft'].map((bg) => [fg, bg, 4.5]))
  .concat([['--accent-fg', '--accent', 4.5], ['--focus', '--bg', 3], ['--focus', '--card', 3]]);

const notes = new Map();   // rule -> pages, for the lesser findings

// One page view; screenshots only where the system's theme is the one
// shown (shots).
async function checkPage(page, p, url, width, theme, shots = true) {
  await page.setViewportSize(WIDTHS[width]);
  await page.emulateMedia({ colorScheme: theme });
  let resp = await page.goto(url);
  for (const [label, value] of Object.entries(p.fill || {}))
    await page.getByLabel(label, { exact: true }).fill(value);
  for (const [label, text] of Object.entries(p.type || {})) {
    await page.getByLabel(label, { exact: true }).pressSequentially(text, { delay: 20 });
    await page.getByRole('option').first().waitFor();
  }
  if (p.press) {
    const nav = page.waitForNavigation();
    await page.getByRole('button', { name: p.press, exact: true }).click();
    resp = await nav;
  }
  assert(resp && resp.status() === (p.status || 200),
    `${url}: status ${resp && resp.status()}, wanted ${p.status || 200}`);
  await page.addScriptTag({ path: AXE });
  const rules = Object.fromEntries(EXTRA_RULES.map((id) => [id, { enabled: true }])
    .concat(Object.keys(p.skip || {}).map((id) => [id, { enabled: false }])));
  // iframes: false: the message's own HTML is checked as its own page
  // (message-html-body); the frame element itself is checked here
  const result = await page.evaluate((rules) => window.axe.run(document,
    { resultTypes: ['violations', 'incomplete'], iframes: false, rules }), rules);
  if (shots && p.shot && theme === 'dark' && width === 'desktop')
    await page.screenshot({ path: path.join(ARTIFACTS, `a11y-dark-${p.name}.png`), fullPage: true });
  else if (shots && process.env.A11Y_SHOTS)
    await page.screenshot({ path: path.join(ARTIFACTS, `a11y-${theme}-${p.name}-${width}.png`), fullPage: true });
  const bad = result.violations.filter((v) => FAILING.has(v.impact));
  // contrast axe could not decide, decided here
  const undecided = result.incomplete.find((v) => v.id === 'color-contrast');
  const low = undecided ? await page.evaluate(colorCheck,
    { targets: undecided.nodes.map((n) => n.target.join(' ')), pairs: [] }) : [];
  if (low.length > 0) {
    bad.push({ ...undecided, impact: 'serious, decided by the test against the backgrounds behind',
      nodes: low.map((r) => ({ target: [r.what], any: [{ data: { fgColor: r.fg, bgColor: r.bg,
        contrastRatio: r.ratio, expectedContrastRatio: `${r.want}:1` } }], all: [], none: [] })) });
  }
  // WCAG 2.2 1.4.10: nothing to scroll sideways at a phone's width
  const wider = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (width === 'phone' && wider > 1) {
    bad.push({ id: 'reflow', impact: 'serious', help: `the page is ${wider} px wider than the screen`,
      helpUrl: 'https://www.w3.org/WAI/WCAG22/Understanding/reflow.html', nodes: [] });
  }
  // the rest, and what else axe could not decide, are notes for a person
  // to look at (frame-tested: the frame's document is a page of its own
  // here, message-html-body)
  const lesser = result.violations.filter((v) => !FAILING.has(v.impact))
    .concat(result.incomplete.filter((v) => !['color-contrast', 'frame-tested'].includes(v.id))
      .map((v) => ({ ...v, impact: `${v.impact}, undecided` })));
  for (const v of lesser) {
    const key = `${v.id} (${v.impact})`;
    if (!notes.has(key)) notes.set(key, { first: describe(v), where: new Set() });
    notes.get(key).where.add(`${p.name} ${width} ${theme}`);
  }
  assert(bad.length === 0, `${bad.length} serious or critical:\n    ${bad.map(describe).join('\n    ')}`);
}

// The footer's theme buttons, with JavaScript off: the choice outweighs
// the system's preference, and goes back to following it on Auto.
async function themeChoice(base) {
  await withBrowser(async (ctx) => {
    const page = await ctx.newPage();
    await login(page, base, ALICE, ALICE_PW, '/mail');
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(base + '/calendar/week?date=2030-12-05');
    const light = await bg();
    const theme = page.getByRole('group', { name: 'Theme' });
    assert(await theme.getByRole('button', { name: 'Auto' }).getAttribute('aria-pressed') === 'true',
      'Auto is the choice at first');
    await Promise.all([page.waitForURL(/\/calendar\/week\?date=2030-12-05$/),
      theme.getByRole('button', { name: 'Dark' }).click()]);
    assert(await page.locator('html').getAttribute('data-theme') === 'dark', 'data-theme=dark');
    assert(await theme.getByRole('button', { name: 'Dark' }).getAttribute('aria-pressed') === 'true',
      'Dark shown as chosen');
    const dark = await bg();
    assert(dark !== light, `dark background ${dark} differs from light ${light}`);
    await page.goto(base + '/mail');
    assert(await bg() === dark, 'the choice holds on every page');
    // the system says dark, the user says light
    await page.emulateMedia({ colorScheme: 'dark' });
    await Promise.all([page.waitForURL(/\/mail$/), theme.getByRole('button', { name: 'Light' }).click()]);
    assert(await bg() === light, `Light under a dark system: ${await bg()}`);
    await Promise.all([page.waitForURL(/\/mail$/), theme.getByRole('button', { name: 'Auto' }).click()]);
    assert(await page.locator('html').getAttribute('data-theme') === null, 'Auto: no data-theme');
    assert(await bg() === dark, 'Auto follows the system again');
  }, { javaScriptEnabled: false });
}

// Something waiting for the relay (and its copy in Sent), sent as alice
// would, and a contact; then where each page is.
async function setUp(page, base) {
  await login(page, base, ALICE, ALICE_PW, '/mail');
  await page.goto(base + '/contacts/new');
  await page.getByLabel('First name').fill('Annika');
  await page.getByLabel('Last name').fill('Lindqvist');
  await page.getByLabel('Organization').fill('Nordic Sails');
  await page.getByLabel('Email address 1', { exact: true }).fill('annika@nordic.test');
  await page.getByLabel('Phone number 1', { exact: true }).fill('+46 8 123 456');
  await Promise.all([page.waitForURL(/saved=1/), page.getByRole('button', { name: 'Save' }).click()]);
  await page.goto(base + '/mail/compose');
  await page.getByLabel('To', { exact: true }).fill('carol@partner.test');
  await page.getByLabel('Subject').fill('Lunch plans');
  await page.getByLabel('Message').fill('Friday at noon?');
  await Promise.all([page.waitForURL(/sent=1/), page.getByRole('button', { name: 'Send' }).click()]);
  return resolvePages(page, base);
}

// The tests, in a browser logged in as alice (ctx, page) and one logged
// out (anon).
function pageTests(base, ctx, page, anon, urls) {
  const only = process.env.A11Y_PAGES ? process.env.A11Y_PAGES.split(',') : null;
  const withTheme = async (theme, fn) => {
    if (theme !== 'auto')
      await ctx.addCookies([{ name: 'infostore-theme', value: theme, url: base }]);
    try {
      return await fn();
    } finally {
      await ctx.clearCookies({ name: 'infostore-theme' });
    }
  };
  const tests = [];
  // Every page at desktop width in the dark theme and at phone width in
  // the light one: both widths (layout, reflow, target size) and both
  // palettes (contrast) for every page, in half the time of all four;
  // the palette pairs below cover each theme's colours at every size.
  // A11Y_ALL=1 runs the four combinations.
  const combos = process.env.A11Y_ALL ?
    THEMES.flatMap((theme) => Object.keys(WIDTHS).map((width) => [width, theme])) :
    [['desktop', 'dark'], ['phone', 'light']];
  for (const [width, theme] of combos) {
    for (const p of PAGES.filter((x) => !only || only.includes(x.name))) {
      tests.push([`a11y: ${p.name} ${width} ${theme}`,
        () => checkPage(p.anon ? anon : page, p, urls[p.name], width, theme)]);
    }
  }
  for (const [theme, system] of [['auto', 'light'], ['auto', 'dark'], ['dark', 'light'], ['light', 'dark']]) {
    tests.push([`a11y: palette contrast, theme ${theme}, system ${system}`, () => withTheme(theme, async () => {
      await page.emulateMedia({ colorScheme: system });
      await page.goto(base + '/mail');
      const low = await page.evaluate(colorCheck, { targets: [], pairs: PALETTE_PAIRS });
      assert(low.length === 0, `low contrast: ${JSON.stringify(low)}`);
    })]);
  }
  tests.push(['a11y: theme choice in the footer, without JavaScript', () => themeChoice(base)]);
  for (const [theme, system] of [['dark', 'light'], ['light', 'dark']]) {
    for (const p of PAGES.filter((x) => ['mail', 'calendar-week', 'message-meeting'].includes(x.name))) {
      tests.push([`a11y: ${p.name} with ${theme} chosen, system ${system}`, () => withTheme(theme, async () => {
        await checkPage(page, p, urls[p.name], 'desktop', system, false);
        assert(await page.locator('html').getAttribute('data-theme') === theme, `data-theme=${theme}`);
      })]);
    }
  }
  return tests;
}

const launcher = new Launcher();
let reported = false;
try {
  const { ports } = await launcher.call({ cmd: 'start', listeners: ['https'] });
  const base = `https://127.0.0.1:${ports.https}`;
  await seed(launcher);
  // bypassCSP: the pages' policy forbids inline script, and axe goes in
  // as one; the pages themselves are as served
  await withBrowser((ctx) => withBrowser(async (anonCtx) => {
    const page = await ctx.newPage(), anon = await anonCtx.newPage();
    const urls = await setUp(page, base);
    reported = true;
    const failed = await runTests(pageTests(base, ctx, page, anon, urls), { exit: false });
    for (const [rule, { first, where }] of notes) {
      console.log(`note: ${rule} on ${where.size} page views: ${[...where].slice(0, 4).join('; ')}` +
        `${where.size > 4 ? '; ...' : ''}\n  the first: ${first}`);
    }
    process.exitCode = failed ? 1 : 0;
  }, { bypassCSP: true }), { bypassCSP: true });
} catch (e) {
  // before the tests: one failure; after them, the exit code says it
  console.log(`FAIL: a11y: ${reported ? 'after the tests' : 'seeding the server and finding the pages'}` +
    `\n  ${String(e.stack || e).split('\n').slice(0, 8).join('\n  ')}`);
  if (!reported)
    console.log('RESULT 0 passed, 1 failed');
  process.exitCode = 1;
} finally {
  await launcher.close();
}
