// What every browser test file shares: one Chromium, windows that refuse any request off
// loopback, screenshots with axe, logging in through the page and the API. Each test file
// ends with `assertClean()` so axe problems and off-loopback requests fail that file.
//
// Started by tests/browser/run, which provides WPT_URL (the release binary on
// 127.0.0.1 with `wpt seed --demo`), WPT_DEMO_PASSWORD, WPT_SCREENSHOTS, CHROMIUM_PATH.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const BASE = process.env.WPT_URL;
export const PASSWORD = process.env.WPT_DEMO_PASSWORD;
export const SHOTS = process.env.WPT_SCREENSHOTS ?? 'screenshots';
export const OFFICER = 'officer.dgicm@demo.wpt';
export const SECRETARIAT = 'secretariat@demo.wpt';
export const VIEWER = 'viewer@demo.wpt';
export const ADMIN = { email: 'admin@browser.test', password: 'browser-admin-password-1' };

assert.ok(BASE && PASSWORD, 'run through tests/browser/run');
mkdirSync(SHOTS, { recursive: true });

let browser;
export const leftLoopback = [];
export const axeProblems = [];
// Each file numbers its screenshots under its own prefix so files never overwrite each other.
const prefix = (process.argv[1] ?? 'ui').split('/').pop().replace(/\.test\.js$/, '');
let shot = 0;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  await browser?.close();
});

/**
 * A fresh browser window (own cookies) that refuses any request off loopback.
 * `options` are more of Playwright's context options (`timezoneId`, `locale`).
 */
export async function windowFor(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') {
      return route.continue();
    }
    leftLoopback.push(url.href);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => axeProblems.push(`script error on ${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    // Answers with an error status are part of the flows under test (a refused login,
    // a stale save, a missing page); anything else the console reports is a fault.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of')) {
      const at = m.location();
      axeProblems.push(`console error on ${page.url()} (${at.url}:${at.lineNumber}): ${m.text().slice(0, 160)}`);
    }
  });
  return page;
}

/**
 * Saves a screenshot and runs axe; serious and critical violations are collected.
 * `caret: 'initial'`: Playwright's default hides the caret by setting style="" on every
 * field, which the page's htmx would then carry into swapped content (and the CSP
 * rightly refuses).
 */
export async function check(page, name) {
  shot += 1;
  await page.screenshot({ path: join(SHOTS, `${prefix}-${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true, caret: 'initial' });
  const result = await new AxeBuilder({ page }).analyze();
  for (const v of result.violations) {
    if (v.impact === 'serious' || v.impact === 'critical') {
      axeProblems.push(`${name} (${page.url()}): ${v.id} [${v.impact}] ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
  }
}

export async function login(page, email, password = PASSWORD) {
  await page.goto(`${BASE}/ui/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL(/\/ui\/(activities|dashboard)/), page.getByRole('button', { name: 'Log in' }).click()]);
}

/** The API, as an integrator calls it. */
export async function api(email, password = PASSWORD) {
  const res = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  assert.equal(res.status, 200, `API login of ${email}`);
  const { access_token: token } = await res.json();
  return async (path) => {
    const r = await fetch(`${BASE}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, `GET ${path}`);
    return r.json();
  };
}

export function isoDay(offsetDays) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  return d.toISOString().slice(0, 10);
}


/** Fails the calling test when axe or the loopback guard found anything so far. */
export function assertClean() {
  assert.deepEqual(axeProblems, [], axeProblems.join('\n'));
  assert.deepEqual(leftLoopback, [], 'no request left 127.0.0.1');
}
