// Browser tests of the infostore web access: headless Chromium (Debian's
// /usr/bin/chromium, never a downloaded browser) driven by playwright-core.
// Each test starts a real server through launcher.py (the integration
// tests' harness). Prints "PASS: name" / "FAIL: name" lines and ends with
// "RESULT N passed, M failed". Screenshots go to artifacts/.
import path from 'node:path';
import {
  ALICE, ALICE_PW, ARTIFACTS, BOB, HOST, Launcher, assert, meetingRequest, poll, runTests, withBrowser,
} from './harness.mjs';

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

// A meeting request that keeps the organizer's words (issue #12 item 2):
// our summary with the link first, then their HTML, their PDF and our
// invite.ics among the attachments, Accept offered; desktop and phone.
async function organizerWordsFlow(name, viewport) {
  const l = new Launcher();
  try {
    const { ports } = await l.call({ cmd: 'start', listeners: ['https'] });
    const uid = `words-${Date.now()}@example.test`;
    const ics = meetingRequest(uid, 'Budget review').split('\r\n\r\n').slice(1).join('\r\n\r\n')
      .replace('ORGANIZER;CN=Bob Example:mailto:bob@example.test',
        'ORGANIZER;CN=Olivia Partner:mailto:olivia@partner.test');
    const pdf = Buffer.from('%PDF-1.4\n% agenda\n').toString('base64');
    const msg = [
      'From: Olivia Partner <olivia@partner.test>', `To: ${ALICE}`, 'Subject: Budget review',
      'Date: Tue, 24 Nov 2026 09:00:00 +0000', `Message-ID: <${uid}.msg@partner.test>`,
      'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="m"', '',
      '--m', 'Content-Type: multipart/alternative; boundary="a"', '',
      '--a', 'Content-Type: text/plain; charset=utf-8', '', 'Hi Alice, the figures are attached.',
      '--a', 'Content-Type: text/html; charset=utf-8', '',
      '<p>Hi Alice,</p><p><b>The figures are attached</b>, see you on Tuesday.</p>',
      '--a', 'Content-Type: text/calendar; charset=utf-8; method=REQUEST', '', ics,
      '--a--', '--m', 'Content-Type: application/pdf; name="figures.pdf"',
      'Content-Disposition: attachment; filename="figures.pdf"', 'Content-Transfer-Encoding: base64',
      '', pdf, '--m--', ''].join('\r\n');
    await l.call({ cmd: 'deliver', rcpt: ALICE, message: msg, sender: 'olivia@partner.test' });
    const base = `https://127.0.0.1:${ports.https}`;
    await withBrowser(async (ctx) => {
      const page = await ctx.newPage();
      await page.setViewportSize(viewport);
      await page.goto(base + '/');
      await page.getByLabel('Email address').fill(ALICE);
      await page.getByLabel('Password').fill(ALICE_PW);
      await Promise.all([page.waitForURL(/\/mail/), page.getByRole('button', { name: 'Log in' }).click()]);
      await page.getByRole('link', { name: /Budget review/ }).first().click();
      await page.getByRole('heading', { name: 'Budget review' }).waitFor();
      const frame = page.frameLocator('iframe.htmlbody');
      // ours first, then theirs, in the one message body
      await frame.getByText('Open this meeting and answer it').waitFor();
      await frame.getByText('The figures are attached').waitFor();
      const body = await frame.locator('body').innerText();
      assert(body.indexOf('Open this meeting') < body.indexOf('The figures are attached'),
        `summary before the organizer's words: ${body}`);
      assert(body.includes('Olivia Partner'), 'organizer in the summary');
      const attachments = await page.locator('ul.attachments').innerText();
      assert(attachments.includes('figures.pdf') && attachments.includes('invite.ics'),
        `attachments: ${attachments}`);
      await page.getByRole('button', { name: 'Accept', exact: true }).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 1, `page wider than the screen by ${overflow}px`);
      await page.screenshot({ path: path.join(ARTIFACTS, `meeting-words-${name}.png`), fullPage: true });
    });
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
      // (autofocus lands once the page is parsed: wait for it, not type
      // into nothing)
      await poll(() => page.evaluate(() => document.activeElement && document.activeElement.id === 'username'),
        'the address field focused', 5000);
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

// Mail as a client (issue #12 item 3): compose and send, reply with an
// attachment, search, at one width; the message list's columns checked.
async function webmailFlow(name, viewport) {
  const l = new Launcher();
  try {
    const { ports } = await l.call({ cmd: 'start', listeners: ['https'] });
    const msg = (subject, body) => [
      'From: Bob Example <bob@example.test>', `To: ${ALICE}`, `Subject: ${subject}`,
      'Date: Tue, 24 Nov 2026 09:00:00 +0000', `Message-ID: <${subject.replace(/\W/g, '')}@example.test>`,
      '', body, ''].join('\r\n');
    await l.call({ cmd: 'deliver', rcpt: ALICE, message: msg('Planning notes',
      'The notes are at https://example.org/notes?id=1 for now.') });
    await l.call({ cmd: 'deliver', rcpt: ALICE, message: msg('Quarterly figures', 'A pineapple a day.') });
    const base = `https://127.0.0.1:${ports.https}`;
    await withBrowser(async (ctx) => {
      const page = await ctx.newPage();
      await page.setViewportSize(viewport);
      await page.goto(base + '/');
      await page.getByLabel('Email address').fill(ALICE);
      await page.getByLabel('Password').fill(ALICE_PW);
      await Promise.all([page.waitForURL(/\/mail/), page.getByRole('button', { name: 'Log in' }).click()]);
      await page.getByRole('heading', { name: 'Inbox' }).waitFor();
      // the list: sender, subject and date of a row side by side on a
      // desktop; on a phone the subject goes under the sender
      const row = page.locator('.msglist li').first();
      const from = await row.locator('.from').boundingBox();
      const subj = await row.locator('.subj').boundingBox();
      const date = await row.locator('.date').boundingBox();
      if (viewport.width > 600) {
        assert(Math.abs(from.y - subj.y) < 4 && from.x < subj.x && subj.x + subj.width <= date.x + 1,
          `desktop columns: ${JSON.stringify({ from, subj, date })}`);
      } else {
        assert(subj.y > from.y + from.height - 2 && Math.abs(from.y - date.y) < 4,
          `phone rows: ${JSON.stringify({ from, subj, date })}`);
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 1, `page wider than the screen by ${overflow}px`);
      await page.screenshot({ path: path.join(ARTIFACTS, `webmail-${name}-list.png`), fullPage: true });

      // compose and send to a local user
      await page.getByRole('link', { name: 'Compose' }).click();
      await page.getByLabel('To', { exact: true }).fill(BOB);
      await page.getByLabel('Cc', { exact: true }).fill('carol@partner.test');
      await page.getByLabel('Subject').fill(`Lunch on Friday (${name})`);
      await page.getByLabel('Message').fill('Shall we meet at noon?\nAlice');
      await page.screenshot({ path: path.join(ARTIFACTS, `webmail-${name}-compose.png`), fullPage: true });
      await Promise.all([page.waitForURL(/sent=1/), page.getByRole('button', { name: 'Send' }).click()]);
      await page.getByText('Your message has been sent.').waitFor();
      await page.getByText('Waiting for the relay').waitFor();   // carol is not local
      await page.screenshot({ path: path.join(ARTIFACTS, `webmail-${name}-sent.png`), fullPage: true });
      await poll(async () => (await l.call({ cmd: 'inbox_subjects', user: BOB })).subjects
        .includes(`Lunch on Friday (${name})`), "bob's copy");

      // reply with an attachment
      await page.goto(base + '/mail');
      await page.getByRole('link', { name: /Planning notes/ }).click();
      const link = page.getByRole('link', { name: 'https://example.org/notes?id=1' });
      assert(await link.getAttribute('rel') === 'noopener noreferrer', 'link rel');
      await page.getByRole('link', { name: 'Reply', exact: true }).click();
      assert(await page.getByLabel('To', { exact: true }).inputValue() === BOB, 'reply goes to bob');
      assert(await page.getByLabel('Subject').inputValue() === 'Re: Planning notes', 'Re: subject');
      await page.getByLabel('Attach files').setInputFiles({ name: 'agenda.txt', mimeType: 'text/plain',
        buffer: Buffer.from('1. Budget\n2. Dates\n') });
      await page.screenshot({ path: path.join(ARTIFACTS, `webmail-${name}-reply.png`), fullPage: true });
      await Promise.all([page.waitForURL(/sent=1/), page.getByRole('button', { name: 'Send' }).click()]);
      await page.getByRole('link', { name: 'agenda.txt' }).waitFor();
      await poll(async () => (await l.call({ cmd: 'inbox_subjects', user: BOB })).subjects
        .includes('Re: Planning notes'), "bob's reply");

      // search
      await page.goto(base + '/mail');
      await page.getByLabel('Search').fill('pineapple');
      await Promise.all([page.waitForURL(/\/mail\/search/), page.getByLabel('Search').press('Enter')]);
      await page.getByText('1 found').waitFor();
      await page.getByRole('link', { name: /Quarterly figures/ }).waitFor();
      assert(await page.getByRole('link', { name: /Planning notes/ }).count() === 0, 'only the match');
      await page.screenshot({ path: path.join(ARTIFACTS, `webmail-${name}-search.png`), fullPage: true });
    });
  } finally {
    await l.close();
  }
}

// Keys: c, r, a, f, #, / do what their buttons do, never while typing.
async function shortcutsFlow() {
  const l = new Launcher();
  try {
    const { ports } = await l.call({ cmd: 'start', listeners: ['https'] });
    for (const subject of ['Keys one', 'Keys two']) {
      await l.call({ cmd: 'deliver', rcpt: ALICE, message: [
        'From: bob@example.test', `To: ${ALICE}`, `Subject: ${subject}`,
        'Date: Tue, 24 Nov 2026 09:00:00 +0000', '', 'Text.', ''].join('\r\n') });
    }
    const base = `https://127.0.0.1:${ports.https}`;
    await withBrowser(async (ctx) => {
      const page = await ctx.newPage();
      await page.goto(base + '/');
      await page.getByLabel('Email address').fill(ALICE);
      await page.getByLabel('Password').fill(ALICE_PW);
      await Promise.all([page.waitForURL(/\/mail/), page.getByRole('button', { name: 'Log in' }).click()]);
      await page.getByRole('heading', { name: 'Inbox' }).waitFor();
      const inbox = page.url();
      await page.keyboard.press('/');
      assert(await page.evaluate(() => document.activeElement.type) === 'search', '/ focuses Search');
      await page.keyboard.type('rac');   // typed into the field, no action
      assert(page.url() === inbox, 'typing in a field is typing');
      assert(await page.getByLabel('Search').inputValue() === 'rac', 'the letters went into the field');
      await page.keyboard.press('Escape');
      await Promise.all([page.waitForURL(/\/mail\/compose$/), page.keyboard.press('c')]);
      await page.getByLabel('To', { exact: true }).click();
      await page.keyboard.type('r#f');
      assert(/\/mail\/compose$/.test(page.url()), 'typing in To stays');
      await page.goto(inbox);
      await page.getByRole('link', { name: /Keys one/ }).click();
      await page.getByRole('heading', { name: 'Keys one' }).waitFor();
      const msgUrl = page.url();
      for (const [key, mode] of [['r', 'reply'], ['a', 'all'], ['f', 'forward']]) {
        await Promise.all([page.waitForURL(new RegExp(`mode=${mode}&`)), page.keyboard.press(key)]);
        await page.goto(msgUrl);
      }
      await Promise.all([page.waitForURL(/\/mail\/\d+$/), page.keyboard.press('#')]);
      assert(await page.getByRole('link', { name: /Keys one/ }).count() === 0, '# deleted it');
      await page.screenshot({ path: path.join(ARTIFACTS, 'webmail-shortcuts.png'), fullPage: true });
    });
  } finally {
    await l.close();
  }
}

// The calendar from both sides: bob makes a meeting with alice in the
// form, edits it and cancels it; alice's views follow each step. The
// month and week views, at desktop and phone widths.
async function calendarFlow(name, viewport) {
  const l = new Launcher();
  try {
    const { ports } = await l.call({ cmd: 'start', listeners: ['https'] });
    const base = `https://127.0.0.1:${ports.https}`;
    const shot = (page, what) => page.screenshot({ path: path.join(ARTIFACTS, `calendar-${name}-${what}.png`), fullPage: true });
    const login = async (page, user, password) => {
      await page.setViewportSize(viewport);
      await page.goto(base + '/calendar');
      await page.getByLabel('Email address').fill(user);
      await page.getByLabel('Password').fill(password);
      await Promise.all([page.waitForURL(/\/calendar/), page.getByRole('button', { name: 'Log in' }).click()]);
    };
    await withBrowser(async (bobCtx) => withBrowser(async (aliceCtx) => {
      const bob = await bobCtx.newPage(), alice = await aliceCtx.newPage();
      await login(bob, BOB, 'bob-secret');
      await login(alice, ALICE, ALICE_PW);
      // New meeting: everything wrong at once first
      await bob.goto(base + '/calendar/new?date=2030-12-05');
      await bob.getByLabel('Attendees').fill(`${ALICE}, nobody@`);
      await bob.getByLabel('Start time').fill('11:00');
      await bob.getByLabel('End time').fill('10:00');
      await bob.getByRole('button', { name: 'Send invitations' }).click();
      const errors = await bob.locator('.errors').textContent();
      assert(errors.includes('Please give the meeting a title') && errors.includes('not an email address') &&
        errors.includes('ends before it starts'), `every error at once: ${errors}`);
      await shot(bob, 'errors');
      await bob.getByLabel('Title').fill('Roadmap review');
      await bob.getByLabel('Location (optional)').fill('Room 7');
      await bob.getByLabel('Attendees').fill(ALICE);
      await bob.getByLabel('End time').fill('12:00');
      await bob.getByLabel('Time zone').selectOption('Europe/Berlin');
      await bob.getByRole('button', { name: 'Check availability' }).click();
      await bob.getByRole('heading', { name: /Availability on/ }).waitFor();
      await shot(bob, 'form');
      await Promise.all([bob.waitForURL(/\/item\//), bob.getByRole('button', { name: 'Send invitations' }).click()]);
      await bob.getByRole('heading', { name: 'Roadmap review' }).waitFor();
      await bob.getByRole('link', { name: 'Edit' }).waitFor();
      await bob.getByRole('button', { name: 'Cancel meeting' }).waitFor();
      // alice: the month view shows it on the 5th, and the week view
      await alice.goto(base + '/calendar/month?date=2030-12-01');
      await poll(async () => { await alice.reload(); return (await alice.locator('td.in').nth(4).textContent()).includes('Roadmap review'); },
        "the meeting in alice's month");
      await shot(alice, 'month');
      await alice.getByRole('link', { name: 'Thu 5 Dec 2030' }).click();
      await alice.locator('.tg-day .ev', { hasText: 'Roadmap review' }).waitFor();
      await shot(alice, 'day');
      await alice.getByRole('link', { name: 'Week', exact: true }).click();
      await alice.getByRole('heading', { name: /Week of/ }).waitFor();
      await alice.locator('.tg-day .ev', { hasText: 'Roadmap review' }).waitFor();
      await shot(alice, 'week');
      await alice.locator('.tg-day .ev a', { hasText: 'Roadmap review' }).click();
      await alice.getByRole('heading', { name: 'Roadmap review' }).waitFor();
      assert(await alice.getByRole('link', { name: 'Edit' }).count() === 0, 'no Edit for an attendee');
      assert(await alice.getByRole('button', { name: 'Cancel meeting' }).count() === 0, 'no Cancel meeting for an attendee');
      await shot(alice, 'invited');
      const aliceItem = alice.url();
      // bob edits: new title and time
      await bob.getByRole('link', { name: 'Edit' }).click();
      await bob.getByRole('heading', { name: 'Edit meeting' }).waitFor();
      assert(await bob.getByLabel('Title').inputValue() === 'Roadmap review', 'the form comes filled in');
      await bob.getByLabel('Title').fill('Roadmap review (moved)');
      await bob.getByLabel('Start time').fill('14:00');
      await bob.getByLabel('End time').fill('15:00');
      await Promise.all([bob.waitForURL(/updated=1/), bob.getByRole('button', { name: 'Send update' }).click()]);
      await poll(async () => { await alice.goto(aliceItem); return (await alice.textContent('h1')).includes('(moved)'); },
        "alice's item updated");
      assert((await alice.textContent('main')).includes('14:00–15:00'), 'the new time for alice');
      await shot(alice, 'updated');
      // bob cancels
      await Promise.all([bob.waitForURL(/cancelled=1/), bob.getByRole('button', { name: 'Cancel meeting' }).click()]);
      await poll(async () => { await alice.goto(aliceItem); return (await alice.textContent('main')).includes('has been cancelled'); },
        "alice's item cancelled");
      assert(await alice.getByRole('button', { name: 'Accept', exact: true }).count() === 0, 'a cancelled meeting cannot be accepted');
      await shot(alice, 'cancelled');
      await alice.goto(base + '/calendar/month?date=2030-12-01');
      assert((await alice.locator('td.in').nth(4).textContent()).includes('Cancelled'), 'the month says cancelled');
    }));
  } finally {
    await l.close();
  }
}

// Contacts (issue #12 item 5): add a contact, find it in the list, then in
// compose type part of its name and pick the completion (a click on a
// desktop, the keyboard on a phone), a second address after a comma from
// the local users, and send; the meeting form's attendees complete too.
async function contactsFlow(name, viewport) {
  const l = new Launcher();
  try {
    const { ports } = await l.call({ cmd: 'start', listeners: ['https'] });
    await l.call({ cmd: 'cli', args: ['user', 'set', BOB, 'display_name=Bob Builder'] });
    const base = `https://127.0.0.1:${ports.https}`;
    await withBrowser(async (ctx) => {
      const page = await ctx.newPage();
      await page.setViewportSize(viewport);
      const noOverflow = async (what) => {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert(overflow <= 1, `${what}: page wider than the screen by ${overflow}px`);
      };
      await page.goto(base + '/');
      await page.getByLabel('Email address').fill(ALICE);
      await page.getByLabel('Password').fill(ALICE_PW);
      await Promise.all([page.waitForURL(/\/mail/), page.getByRole('button', { name: 'Log in' }).click()]);
      await page.getByRole('link', { name: 'Contacts', exact: true }).click();
      await page.getByRole('heading', { name: 'Contacts' }).waitFor();

      // a mistake first: shown next to its field, nothing saved
      await page.getByRole('link', { name: 'New contact' }).click();
      await page.getByLabel('First name').fill('Annika');
      await page.getByLabel('Phone number 1', { exact: true }).fill('call me');
      await Promise.all([page.waitForURL(/\/contacts\/new/), page.getByRole('button', { name: 'Save' }).click()]);
      await page.locator('#err-tel0').waitFor();
      assert((await page.locator('#err-tel0').textContent()).includes('needs digits'), 'the error under the number');
      assert(await page.getByLabel('First name').inputValue() === 'Annika', 'what was typed stays');
      await noOverflow('the form');
      await page.screenshot({ path: path.join(ARTIFACTS, `contacts-${name}-form.png`), fullPage: true });
      // then the contact
      await page.getByLabel('Last name').fill('Lindqvist');
      await page.getByLabel('Organization').fill('Nordic Sails');
      await page.getByLabel('Email address 1', { exact: true }).fill('annika@nordic.test');
      await page.getByLabel('Type of Email address 1').selectOption('work');
      await page.getByLabel('Phone number 1', { exact: true }).fill('+46 8 123 456');
      await Promise.all([page.waitForURL(/saved=1/), page.getByRole('button', { name: 'Save' }).click()]);
      await page.getByRole('heading', { name: 'Annika Lindqvist' }).waitFor();
      assert(await page.getByRole('link', { name: 'annika@nordic.test' }).count() === 1, 'the address shown');
      await page.screenshot({ path: path.join(ARTIFACTS, `contacts-${name}-contact.png`), fullPage: true });
      await page.getByRole('link', { name: 'All contacts' }).click();
      await page.getByRole('link', { name: /Annika Lindqvist/ }).waitFor();
      await noOverflow('the list');
      await page.screenshot({ path: path.join(ARTIFACTS, `contacts-${name}-list.png`), fullPage: true });

      // compose: part of the name, pick the contact
      await page.goto(base + '/mail/compose');
      const to = page.getByLabel('To', { exact: true });
      await to.click();
      await to.pressSequentially('lindq', { delay: 30 });
      const option = page.getByRole('option', { name: /Annika Lindqvist/ });
      await option.waitFor();
      assert(await to.getAttribute('aria-expanded') === 'true', 'the list is announced open');
      await noOverflow('the completion');
      await page.screenshot({ path: path.join(ARTIFACTS, name === 'desktop' ?
        'contacts-completion.png' : `contacts-${name}-completion.png`), fullPage: true });
      if (name === 'desktop') {
        await to.press('ArrowDown');
        assert(await option.getAttribute('aria-selected') === 'true', 'ArrowDown marks it');
        await to.press('Enter');
      } else {
        await option.click();
      }
      await poll(async () => (await to.inputValue()) === 'annika@nordic.test, ', 'the address in To');
      assert(await page.getByRole('option').count() === 0, 'the list closes');
      // the next address, after the comma: a local user by display name
      await to.pressSequentially('builder', { delay: 30 });
      await page.getByRole('option', { name: /Bob Builder/ }).click();
      await poll(async () => (await to.inputValue()) === `annika@nordic.test, ${BOB}, `, 'two addresses');
      await page.getByLabel('Subject').fill(`Regatta (${name})`);
      await page.getByLabel('Message').fill('Are you sailing on Saturday?');
      await Promise.all([page.waitForURL(/sent=1/), page.getByRole('button', { name: 'Send' }).click()]);
      await poll(async () => (await l.call({ cmd: 'inbox_subjects', user: BOB })).subjects
        .includes(`Regatta (${name})`), "bob's copy");

      // the meeting form's attendees
      await page.goto(base + '/calendar/new');
      const att = page.getByLabel(/^Attendees/);
      await att.click();
      await att.pressSequentially('annika', { delay: 30 });
      await page.getByRole('option', { name: /Annika Lindqvist/ }).click();
      await poll(async () => (await att.inputValue()) === 'annika@nordic.test, ', 'the attendee');
    });
  } finally {
    await l.close();
  }
}

// Settings (issue #12 item 6): the display name and the time zone saved
// and used, the password changed and the next login taking only the new
// one, at one width.
async function settingsFlow(name, viewport) {
  const l = new Launcher();
  try {
    const { ports } = await l.call({ cmd: 'start', listeners: ['https'] });
    const base = `https://127.0.0.1:${ports.https}`;
    const newPw = `changed-${name}-pw`;
    const login = async (page, password) => {
      await page.getByLabel('Email address').fill(ALICE);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
    };
    const noOverflow = async (page, what) => {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 1, `${what}: page wider than the screen by ${overflow}px`);
    };
    await withBrowser(async (ctx) => {
      const page = await ctx.newPage();
      await page.setViewportSize(viewport);
      await page.goto(base + '/');
      await login(page, ALICE_PW);
      await page.waitForURL(/\/mail/);
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
      // the browser's zone (told by app.js) until one is chosen
      assert((await page.locator('#tz-now').textContent()) === 'Europe/Berlin', 'the browser zone shows');
      await noOverflow(page, 'settings');

      // display name: saved, and the From of the compose form says it
      await page.getByRole('textbox', { name: 'Display name' }).fill('Alice Lidell-\u00dcnal');
      await Promise.all([page.waitForURL(/saved=name/), page.getByRole('button', { name: 'Save name' }).click()]);
      await page.getByText('Your display name is saved.').waitFor();
      // time zone: Tokyo wins over the browser's Berlin
      await page.getByRole('combobox', { name: 'Time zone' }).selectOption('Asia/Tokyo');
      await Promise.all([page.waitForURL(/saved=timezone/), page.getByRole('button', { name: 'Save time zone' }).click()]);
      await page.getByText('Your time zone is saved.').waitFor();
      assert((await page.locator('#tz-now').textContent()) === 'Asia/Tokyo', 'the chosen zone shows');
      assert(/JST/.test(await page.locator('#timezone time').textContent()), 'the time is in JST');
      await page.getByText('This browser').waitFor();
      await noOverflow(page, 'settings saved');
      await page.screenshot({ path: path.join(ARTIFACTS, `settings-${name}.png`), fullPage: true });
      await page.getByRole('link', { name: 'Mail', exact: true }).click();
      await page.getByRole('link', { name: 'Compose' }).click();
      await page.getByText('From: Alice Lidell-\u00dcnal <alice@example.test>').waitFor();

      // the password: a wrong current one changes nothing
      await page.goto(base + '/settings#password');
      await page.getByLabel('Current password').fill('not-the-password');
      await page.getByLabel('New password', { exact: true }).fill(newPw);
      await page.getByLabel('New password again').fill(newPw);
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('The current password is not right. Nothing was changed.').waitFor();
      await page.getByLabel('Current password').fill(ALICE_PW);
      await page.getByLabel('New password', { exact: true }).fill(newPw);
      await page.getByLabel('New password again').fill(newPw);
      await Promise.all([page.waitForURL(/saved=password/), page.getByRole('button', { name: 'Change password' }).click()]);
      await page.getByText('Your password is changed.').waitFor();
      await noOverflow(page, 'password changed');
      if (name === 'desktop')
        await page.locator('#password').screenshot({ path: path.join(ARTIFACTS, 'settings-password.png') });
      // log out, and in again: the old password no longer, the new one yes
      await Promise.all([page.waitForURL(/\/login/), page.getByRole('button', { name: 'Log out', exact: true }).click()]);
      await login(page, ALICE_PW);
      await page.getByText('That email address and password do not match.').waitFor();
      await login(page, newPw);
      await page.waitForURL(/\/mail/);
      await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    });
  } finally {
    await l.close();
  }
}

const tests = [
  ['contacts: add, list, complete in compose and the meeting form (desktop)',
    () => contactsFlow('desktop', { width: 1100, height: 800 })],
  ['contacts: add, list, complete in compose and the meeting form (phone)',
    () => contactsFlow('phone', { width: 390, height: 844 })],
  ['settings: display name, time zone, password (desktop)',
    () => settingsFlow('desktop', { width: 1100, height: 800 })],
  ['settings: display name, time zone, password (phone)',
    () => settingsFlow('phone', { width: 390, height: 844 })],
  ['webmail: compose, reply with attachment, search (desktop)',
    () => webmailFlow('desktop', { width: 1100, height: 800 })],
  ['webmail: compose, reply with attachment, search (phone)',
    () => webmailFlow('phone', { width: 375, height: 740 })],
  ['webmail: keyboard shortcuts', shortcutsFlow],
  ['calendar: create, edit, cancel from both sides, month and week (desktop)',
    () => calendarFlow('desktop', { width: 1100, height: 800 })],
  ['calendar: create, edit, cancel from both sides, month and week (phone)',
    () => calendarFlow('phone', { width: 375, height: 740 })],
  ['mail: html mail without scripts, keyboard, phone width', mailFlow],
  ['meeting: https link, login, accept', () => meetingFlow('https', ['imaps', 'https'], {}, 'https')],
  ["meeting: the organizer's words beside the summary (desktop)",
    () => organizerWordsFlow('desktop', { width: 1100, height: 800 })],
  ["meeting: the organizer's words beside the summary (phone)",
    () => organizerWordsFlow('phone', { width: 390, height: 844 })],
  // a plain-HTTP web access takes passwords only from plaintext_auth_from
  ['meeting: plain http setup', () => meetingFlow('http', ['imaps', 'http'],
    { server: { plaintext_auth_from: '127.0.0.1/32' } }, 'http')],
  ['meeting: http link through the redirect listener', () => meetingFlow('redirect',
    ['imaps', 'https', 'redirect'], { web: { public_url: `http://${HOST}:{redirect}` } }, 'https')],
];

await runTests(tests);
