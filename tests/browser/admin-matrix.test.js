// The matrix both ways in a real browser: the secretariat uploads a matrix with one bad
// row (shown by row and column, nothing written), fixes it and imports it after the
// preview; the matrix downloaded from the page re-imports with no change; officers get
// no import page. axe on every page, at desktop width and in a 390 px window (no
// sideways scroll).
//
// Started by tests/browser/run, which provides WPT_URL, WPT_DEMO_PASSWORD,
// WPT_SCREENSHOTS, CHROMIUM_PATH (see lib.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { BASE, OFFICER, SECRETARIAT, windowFor, check, login, api, assertClean } from './lib.js';

const STAMP = String(Date.now()).slice(-6);
const CODE = `A.m.${STAMP}`;

/** Screenshot and axe at 390 px, and no horizontal scrolling there; back to desktop. */
async function narrow(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `${name}: ${wide}px of sideways scrolling at 390 px`);
  await check(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function activePlan() {
  const get = await api(SECRETARIAT);
  const plans = await get('/work-plans');
  const plan = plans.items.find((p) => p.status === 'active') ?? plans.items[0];
  return { plan, get };
}

async function codes(get, planId) {
  const list = await get(`/activities?work_plan=${planId}&limit=200`);
  return list.items.map((a) => a.code);
}

async function choose(page, name, text) {
  await page.getByLabel('Matrix file (.csv or .xlsx)').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.getByRole('button', { name: 'Preview the import' }).click();
}

test('the secretariat previews a bad matrix, fixes it and imports; the export re-imports unchanged', async () => {
  const { plan, get } = await activePlan();
  const page = await windowFor();
  await login(page, SECRETARIAT);
  await page.goto(`${BASE}/ui/plans/${plan.id}/import`);
  await page.getByRole('heading', { name: /^Import the matrix/, level: 1 }).waitFor();
  await check(page, 'import');
  await narrow(page, 'import');

  const header = 'Code,Area,Proposed Programme/Project/Activity,Expected Outputs,Lead Sectoral Body,Cooperating Sectoral Bodies,Planned Start,Planned End';
  const good = `${CODE},A,Browser matrix campaign ${STAMP},=Leaflets in three languages,SOMTC,DGICM,2026-01-01,2026-12-31`;
  const bad = `${CODE}b,A,Browser matrix follow-up,,NOBODY,,2026-02-30,`;
  await choose(page, 'matrix-bad.csv', `${header}\n${good}\n${bad}\n`);
  await page.getByRole('alert').waitFor();
  const errors = page.locator('#import-errors');
  await errors.waitFor();
  const text = await errors.innerText();
  assert.match(text, /3\s+Lead Sectoral Body/, text);
  assert.match(text, /3\s+Planned Start/, text);
  assert.ok((await page.content()).includes('Nothing was saved'));
  assert.equal(await page.locator('#confirm').count(), 0, 'no confirm for a bad file');
  assert.ok(!(await codes(get, plan.id)).includes(CODE), 'nothing written');
  await check(page, 'import-errors');
  await narrow(page, 'import-errors');

  await choose(page, 'matrix.csv', `${header}\n${good}\n`);
  await page.getByRole('heading', { name: 'Preview of matrix.csv' }).waitFor();
  assert.ok((await page.locator('#import-creates').innerText()).includes(CODE));
  assert.ok(!(await codes(get, plan.id)).includes(CODE), 'a preview writes nothing');
  await check(page, 'import-preview');
  await narrow(page, 'import-preview');
  await page.getByRole('button', { name: /^Import: create 1, change 0/ }).click();
  await page.getByText(/Imported matrix\.csv: 1 created, 0 changed/).waitFor();
  assert.ok((await codes(get, plan.id)).includes(CODE), 'imported');
  await check(page, 'import-done');

  // A change shows each field before and after.
  await choose(page, 'matrix.csv', `${header}\n${good.replace('SOMTC,DGICM', 'DGICM,SOMTC')}\n`);
  const changes = page.locator('#import-changes');
  await changes.waitFor();
  const changed = await changes.innerText();
  assert.match(changed, /Lead Sectoral Body: SOMTC → DGICM/, changed);
  await check(page, 'import-change');
  await narrow(page, 'import-change');

  // The whole plan, downloaded from the page, previews as unchanged.
  for (const link of ['CSV', 'Excel (XLSX)']) {
    await page.goto(`${BASE}/ui/plans/${plan.id}/import`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: link }).click()]);
    const bytes = await readFile(await download.path());
    const name = download.suggestedFilename();
    assert.match(name, /^matrix-.*\.(csv|xlsx)$/);
    await page.getByLabel('Matrix file (.csv or .xlsx)').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: bytes });
    await page.getByRole('button', { name: 'Preview the import' }).click();
    await page.getByRole('heading', { name: `Preview of ${name}` }).waitFor();
    const counters = await page.locator('ul.counters').innerText();
    assert.match(counters, /0\s*to create/, counters);
    assert.match(counters, /0\s*to change/, counters);
    assert.ok((await page.content()).includes('there is nothing to import'));
    assert.equal(await page.locator('#confirm').count(), 0);
    await check(page, `import-roundtrip-${name.split('.').pop()}`);
  }
  await page.context().close();
});

test('officers get no import page', async () => {
  const { plan } = await activePlan();
  const page = await windowFor();
  await login(page, OFFICER);
  const res = await page.goto(`${BASE}/ui/plans/${plan.id}/import`);
  assert.equal(res.status(), 403);
  assert.equal(await page.locator('#matrix-file').count(), 0);
  await check(page, 'import-officer');
  await page.context().close();
});

test('no axe problems and no request left loopback', () => {
  assertClean();
});
