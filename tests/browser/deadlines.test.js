// Deadlines, reminders, invitations and forgotten passwords in a real browser (issue 17):
// the secretariat extends a body's deadline from the board (asked first, then shown
// with a message) and reminds the missing bodies; "Forgot your password?" from the
// login page; an administrator invites a person (mail is off in this run, so the link
// is shown once) who sets their password on the reset page and logs in. Axe on every
// page, at desktop width and in a 390 px window (no sideways scroll).
//
// Started by tests/browser/run, which provides WPT_URL, WPT_DEMO_PASSWORD,
// WPT_SCREENSHOTS, CHROMIUM_PATH (see lib.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, PASSWORD, SECRETARIAT, ADMIN, windowFor, check, login, isoDay, assertClean,
} from './lib.js';

async function narrow(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `${name}: ${wide}px of sideways scrolling at 390 px`);
  await check(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function send(tok, method, path, body) {
  const r = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (r.status >= 300) assert.fail(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

test('the secretariat extends a body\'s deadline and reminds the missing bodies from the board', async () => {
  const res = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: SECRETARIAT, password: PASSWORD }),
  });
  const tok = (await res.json()).access_token;
  const plans = await send(tok, 'GET', '/work-plans');
  const plan = plans.items.find((p) => p.status === 'active') ?? plans.items[0];
  const cycle = await send(tok, 'POST', '/cycles', {
    work_plan_id: plan.id, kind: 'ad_hoc', name: `Deadlines ${Date.now()}`,
    meeting_date: isoDay(40), period_start: isoDay(-200), period_end: isoDay(-5),
    opens_on: isoDay(-30), due_on: isoDay(-2), review_due_on: isoDay(20),
  });
  await send(tok, 'POST', `/cycles/${cycle.id}/open`);
  try {
    const sec = await windowFor();
    await login(sec, SECRETARIAT);
    await sec.goto(`${BASE}/ui/cycles/${cycle.id}/board`);
    const row = sec.locator('#board tr[data-body="DGICM"]');
    assert.match(await row.innerText(), /Missing/);
    await check(sec, 'board-missing');
    await narrow(sec, 'board-missing');

    await row.getByRole('link', { name: "Extend DGICM's deadline" }).click();
    await sec.getByLabel('New due date (required)').fill(isoDay(10));
    await sec.getByLabel(/^Reason/).fill('National elections delayed the clearance.');
    await check(sec, 'extension-form');
    await narrow(sec, 'extension-form');
    await sec.getByRole('button', { name: 'Extend the deadline' }).click();
    await sec.locator('#confirm').waitFor();
    await check(sec, 'extension-confirm');
    await sec.getByRole('button', { name: /^Yes, extend to/ }).click();
    await sec.waitForURL(`${BASE}/ui/cycles/${cycle.id}/board`);
    assert.match(await sec.locator('body').innerText(), /deadline extended to/);
    const after = await sec.locator('#board tr[data-body="DGICM"]').innerText();
    assert.match(after, /extended to/);
    assert.match(after, /National elections delayed the clearance/);
    assert.doesNotMatch(after, /Missing/);
    await check(sec, 'board-extended');
    await narrow(sec, 'board-extended');

    await sec.getByRole('button', { name: 'Remind the bodies not yet submitted' }).click();
    await sec.locator('#confirm').waitFor();
    await check(sec, 'remind-confirm');
    await sec.getByRole('button', { name: 'Yes, send the reminders' }).click();
    await sec.waitForURL(`${BASE}/ui/cycles/${cycle.id}/board`);
    assert.match(await sec.locator('body').innerText(), /Reminders sent to .*DGICM/);
    await check(sec, 'board-reminded');
  } finally {
    // Leave no extra open cycle for the other files.
    await send(tok, 'POST', `/cycles/${cycle.id}/close`);
  }
  assertClean();
});

test('"Forgot your password?" answers alike, and an invitation link sets the password', async () => {
  const anon = await windowFor();
  await anon.goto(`${BASE}/ui/login`);
  await anon.getByRole('link', { name: 'Forgot your password?' }).click();
  await anon.getByLabel('Email').fill('nobody@demo.wpt');
  await check(anon, 'forgot');
  await narrow(anon, 'forgot');
  await anon.getByRole('button', { name: 'Send me a link' }).click();
  await anon.locator('#reset-sent').waitFor();
  await check(anon, 'forgot-sent');
  await anon.goto(`${BASE}/ui/reset?token=wptp_not_a_real_one`);
  assert.match(await anon.locator('body').innerText(), /This link does not work/);
  await check(anon, 'reset-unusable');

  const admin = await windowFor();
  await login(admin, ADMIN.email, ADMIN.password);
  await admin.goto(`${BASE}/ui/admin/users/new`);
  const email = `invited.${Date.now()}@browser.test`;
  await admin.getByLabel('Email (required; the login)').fill(email);
  await admin.getByLabel('Name (required)').fill('Invited donor');
  await admin.getByLabel('Role (required)').selectOption('viewer');
  await admin.getByLabel(/Invite the person/).check();
  await admin.getByRole('button', { name: 'Create account' }).click();
  await admin.getByRole('heading', { name: 'Account created, invitation made' }).waitFor();
  const link = (await admin.locator('#shown-link').innerText()).trim();
  assert.match(link, /\/ui\/reset\?token=wpti_/);
  await check(admin, 'invitation-shown');
  await narrow(admin, 'invitation-shown');

  const person = await windowFor();
  await person.goto(link.replace(/^https?:\/\/[^/]+/, BASE));
  assert.match(await person.locator('#reset-email').innerText(), new RegExp(email.replace('.', '\\.')));
  await check(person, 'reset-form');
  await narrow(person, 'reset-form');
  await person.getByLabel('New password').fill('an invited passphrase');
  await person.getByLabel('The same password again').fill('an invited passphrase');
  await person.getByRole('button', { name: 'Set the password' }).click();
  await person.locator('#reset-done').waitFor();
  await check(person, 'reset-done');
  await person.getByRole('link', { name: 'Log in' }).click();
  await person.getByLabel('Email').fill(email);
  await person.getByLabel('Password').fill('an invited passphrase');
  await Promise.all([
    person.waitForURL(/\/ui\/(activities|dashboard)/),
    person.getByRole('button', { name: 'Log in' }).click(),
  ]);
  assertClean();
});
