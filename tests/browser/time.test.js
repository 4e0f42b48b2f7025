// Time zones in a real browser (issue 24, item 10): Chromium set to Asia/Jakarta logs a
// new account in for the first time, and its browser zone becomes the account's (the
// login page's zone.js); every time on the pages then reads in it with "UTC+7". The
// person changes it on their account page. A browser without script leaves the zone
// unset and the pages say "UTC". Axe on every page, at desktop width and in a 390 px
// window (no sideways scroll).
//
// Started by tests/browser/run, which provides WPT_URL, WPT_DEMO_PASSWORD,
// WPT_SCREENSHOTS, CHROMIUM_PATH (see lib.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, ADMIN, windowFor, check, assertClean } from './lib.js';

const PASSWORD = 'time-zone-password-1';

async function narrow(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `${name}: ${wide}px of sideways scrolling at 390 px`);
  await check(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function token(email, password) {
  const res = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  assert.equal(res.status, 200, `API login of ${email}`);
  return (await res.json()).access_token;
}

/** A new viewer account (no zone yet); its email. */
async function newAccount(label) {
  const admin = await token(ADMIN.email, ADMIN.password);
  const email = `time.${label}.${Date.now()}@browser.test`;
  const res = await fetch(`${BASE}/api/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, name: `Time zone ${label}`, role: 'viewer', password: PASSWORD }),
  });
  assert.equal(res.status, 201, await res.text());
  return email;
}

async function zoneOf(email) {
  const res = await fetch(`${BASE}/api/v1/me`, { headers: { authorization: `Bearer ${await token(email, PASSWORD)}` } });
  return (await res.json()).time_zone;
}

async function pageLogin(page, email) {
  await page.goto(`${BASE}/ui/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await Promise.all([page.waitForURL(/\/ui\/dashboard/), page.getByRole('button', { name: 'Log in' }).click()]);
}

/** Each <time> of the sessions table: the text shown and its UTC datetime. */
async function sessionTimes(page) {
  return page.locator('#sessions time').evaluateAll((els) => els.map((e) => ({ text: e.textContent, at: e.getAttribute('datetime') })));
}

test('the first login in a Jakarta browser sets the zone, and times read in it with UTC+7', async () => {
  const email = await newAccount('jakarta');
  assert.equal(await zoneOf(email), null);
  const page = await windowFor({ timezoneId: 'Asia/Jakarta' });
  await page.goto(`${BASE}/ui/login`);
  assert.equal(await page.locator('#browser-time-zone').inputValue(), 'Asia/Jakarta', 'zone.js filled the field');
  await pageLogin(page, email);
  assert.equal(await zoneOf(email), 'Asia/Jakarta');

  await page.goto(`${BASE}/ui/account`);
  assert.match(await page.locator('#time-zone ~ p').first().innerText(), /Asia\/Jakarta \(UTC\+7 now\)/);
  const times = await sessionTimes(page);
  assert.ok(times.length > 0, 'the session is listed');
  for (const t of times) {
    // The moment the <time> carries, written in Jakarta by the browser, is what is shown.
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Jakarta', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(new Date(t.at));
    const part = (type) => local.find((p) => p.type === type).value;
    assert.equal(t.text, `${part('day')} ${part('month')} ${part('year')} ${part('hour')}:${part('minute')} UTC+7`);
    assert.match(t.at, /Z$/, 'machine-readable in UTC');
  }
  await check(page, 'account-jakarta');
  await narrow(page, 'account-jakarta');

  // Chosen on the account page: Yangon, UTC+6:30.
  await page.getByLabel('My time zone').selectOption('Asia/Yangon');
  await Promise.all([page.waitForURL(/\/ui\/account/), page.getByRole('button', { name: 'Save time zone' }).click()]);
  assert.match(await page.locator('#announce').innerText(), /Time zone saved: Asia\/Yangon \(UTC\+6:30\)/);
  assert.equal(await zoneOf(email), 'Asia/Yangon');
  for (const t of await sessionTimes(page)) assert.match(t.text, / UTC\+6:30$/);
  await check(page, 'account-yangon');

  // A later login from a Jakarta browser does not move it.
  const again = await windowFor({ timezoneId: 'Asia/Jakarta' });
  await pageLogin(again, email);
  assert.equal(await zoneOf(email), 'Asia/Yangon');
  await again.context().close();
  await page.context().close();
  assertClean();
});

test('without script the zone stays unset and the pages say UTC', async () => {
  const email = await newAccount('noscript');
  const page = await windowFor({ timezoneId: 'Asia/Jakarta', javaScriptEnabled: false });
  await pageLogin(page, email);
  assert.equal(await zoneOf(email), null);
  await page.goto(`${BASE}/ui/account`);
  // No script runs in this window (nor axe): the page's HTML is read as sent.
  const html = await page.content();
  assert.match(html, /<strong>UTC<\/strong>: no time zone is set for your account yet/);
  const shown = [...html.matchAll(/<time datetime="[^"]+Z">([^<]+)<\/time>/g)].map((m) => m[1]);
  assert.ok(shown.length > 0, 'times are shown');
  for (const t of shown) assert.match(t, /^\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} UTC$/);
  // The same session's page with script, for axe and the 390 px check.
  const seen = await windowFor();
  await seen.context().addCookies(await page.context().cookies());
  await page.context().close();
  await seen.goto(`${BASE}/ui/account`);
  await check(seen, 'account-no-zone');
  await narrow(seen, 'account-no-zone');
  await seen.context().close();
  assertClean();
});
