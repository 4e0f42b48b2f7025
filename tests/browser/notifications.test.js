// Notifications in a real browser (issue 17): the bell in the header, the inbox page,
// the e-mail setting on the account page (with its message after saving), and the
// administrators' mail outbox; axe on each, at desktop width and at 390 px (no
// sideways scrolling). Changes nothing other files rely on (only the officer's own
// e-mail setting, set back at the end).
//
// Started by tests/browser/run (see lib.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, OFFICER, ADMIN, windowFor, check, login, assertClean } from './lib.js';

async function narrow(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `${name}: ${wide}px of sideways scrolling at 390 px`);
  await check(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('an officer opens the inbox from the bell and chooses the daily digest', async () => {
  const page = await windowFor();
  await login(page, OFFICER);
  const bell = page.getByRole('link', { name: /^Notifications: \d+ unread$/ });
  await bell.waitFor();
  await bell.click();
  await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
  await check(page, 'inbox');
  await narrow(page, 'inbox');

  await page.getByRole('link', { name: 'E-mail setting' }).click();
  await page.getByRole('heading', { name: 'E-mail notifications' }).waitFor();
  await page.getByLabel('Once a day: one summary e-mail').check();
  await page.getByRole('button', { name: 'Save e-mail setting' }).click();
  await page.getByRole('status').filter({ hasText: 'E-mail setting saved' }).waitFor();
  assert.ok(await page.getByLabel('Once a day: one summary e-mail').isChecked());
  await check(page, 'account-email-setting');
  await narrow(page, 'account-email-setting');
  await page.getByLabel('At once: one e-mail per notice').check();
  await page.getByRole('button', { name: 'Save e-mail setting' }).click();
  await page.getByRole('status').filter({ hasText: 'E-mail setting saved' }).waitFor();
  assertClean();
});

test('the administrator sees the mail outbox; an officer is refused it', async () => {
  const admin = await windowFor();
  await login(admin, ADMIN.email, ADMIN.password);
  await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Outbox' }).click();
  await admin.getByRole('heading', { name: 'Mail outbox', level: 1 }).waitFor();
  await admin.getByLabel('Status').selectOption('failed');
  await admin.getByRole('button', { name: 'Show' }).click();
  await admin.waitForURL(/status=failed/);
  await check(admin, 'outbox');
  await narrow(admin, 'outbox');

  const officer = await windowFor();
  await login(officer, OFFICER);
  const res = await officer.goto(`${BASE}/ui/admin/outbox`);
  assert.equal(res.status(), 403);
  assertClean();
});
