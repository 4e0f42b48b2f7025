// The accounts pages and personal API tokens in a real browser: the administrator
// creates an officer account and that officer logs in with the password shown once; a
// token made on /ui/account/tokens works against the API and stops after revocation;
// axe on every new page, at desktop width and in a 390 px window (no sideways scroll).
//
// Started by tests/browser/run, which provides WPT_URL, WPT_DEMO_PASSWORD,
// WPT_SCREENSHOTS, CHROMIUM_PATH (see lib.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, OFFICER, ADMIN, windowFor, check, login, assertClean } from './lib.js';

const STAMP = Date.now();

/** Screenshot and axe at 390 px, and no horizontal scrolling there; back to desktop. */
async function narrow(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `${name}: ${wide}px of sideways scrolling at 390 px`);
  await check(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('the administrator creates an officer account and that officer logs in with the shown password', async () => {
  const admin = await windowFor();
  await login(admin, ADMIN.email, ADMIN.password);
  await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click();
  await admin.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
  await check(admin, 'accounts');
  await narrow(admin, 'accounts');

  await admin.getByLabel('Name or email contains').fill('demo.wpt');
  await admin.getByRole('button', { name: 'Apply filters' }).click();
  await admin.waitForURL(/q=demo\.wpt/);
  assert.ok(await admin.getByRole('cell', { name: /secretariat@demo\.wpt/ }).count() > 0, 'the demo accounts are listed');

  await admin.getByRole('link', { name: 'Create an account' }).click();
  await admin.getByRole('heading', { name: 'Create an account' }).waitFor();
  await check(admin, 'account-new');
  const email = `officer.${STAMP}@browser.test`;
  await admin.getByLabel('Email (required; the login)').fill(email);
  await admin.getByLabel('Name (required)').fill('Browser DGICM focal point');
  await admin.getByLabel('Role (required)').selectOption('officer');
  // No body for an officer: refused, as typed.
  await admin.getByRole('button', { name: 'Create account' }).click();
  await admin.getByRole('alert').waitFor();
  assert.ok((await admin.content()).includes('is required for an officer'));
  assert.equal(await admin.getByLabel('Email (required; the login)').inputValue(), email);
  await check(admin, 'account-new-refused');
  await narrow(admin, 'account-new-refused');
  await admin.getByLabel(/^Body/).selectOption('DGICM');
  await admin.getByRole('button', { name: 'Create account' }).click();
  await admin.getByRole('heading', { name: 'Account created' }).waitFor();
  const password = (await admin.locator('#shown-password').innerText()).trim();
  assert.ok(password.length >= 20, 'a generated password is shown');
  await check(admin, 'account-created');
  await narrow(admin, 'account-created');

  const officer = await windowFor();
  await login(officer, email, password);
  assert.match(officer.url(), /\/ui\/activities$/);
  assert.ok((await officer.content()).includes('officer, DGICM'));

  // The account page: edit, deactivate, reset.
  await admin.getByRole('link', { name: 'The account' }).click();
  await admin.getByRole('heading', { name: /^Account: / }).waitFor();
  await check(admin, 'account-edit');
  await narrow(admin, 'account-edit');
  await admin.getByRole('button', { name: 'Deactivate account' }).click();
  await admin.getByText('Deactivated: the account cannot log in').waitFor();
  await officer.goto(`${BASE}/ui/activities`);
  await officer.waitForURL(/\/ui\/login/);
  await check(admin, 'account-deactivated');
  await officer.context().close();
  await admin.context().close();
});

test('a token made on the page works against the API and stops after revocation', async () => {
  const page = await windowFor();
  await login(page, OFFICER);
  await page.goto(`${BASE}/ui/account`);
  await page.getByRole('link', { name: 'My API tokens' }).click();
  await page.getByRole('heading', { name: 'My API tokens', level: 1 }).waitFor();
  await check(page, 'tokens');
  await narrow(page, 'tokens');
  const name = `Browser token ${STAMP}`;
  await page.getByLabel('Name (required: what it is for)').fill(name);
  await page.getByLabel('Read and write (what your role may change)').check();
  await page.getByLabel(/^Expires after/).fill('30');
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.locator('#new-token').waitFor();
  const token = (await page.locator('#new-token').innerText()).trim();
  assert.match(token, /^wpt_/);
  // With script, a Copy button (without it the token is selectable text).
  await page.getByRole('button', { name: 'Copy token' }).waitFor();
  await check(page, 'token-created');
  await narrow(page, 'token-created');

  const me = await fetch(`${BASE}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(me.status, 200, 'the token works');
  assert.equal((await me.json()).email, OFFICER);

  await page.goto(`${BASE}/ui/account/tokens`);
  assert.equal(await page.locator('#new-token').count(), 0, 'shown once');
  await page.getByRole('button', { name: `Revoke ${name}` }).click();
  await page.getByText('Revoked: the token no longer works.').waitFor();
  await check(page, 'token-revoked');
  const after = await fetch(`${BASE}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(after.status, 401, 'revoked: refused');
  await page.context().close();
});

test('no axe problem and no request off loopback on the accounts and token pages', () => {
  assertClean();
});
