// The plan's structure in a real browser: the administrator creates a body and adds it
// to the active plan on /ui/admin/bodies, and the secretariat assigns it an activity on
// /ui/plans/{id}; the secretariat creates an activity with a milestone and an indicator;
// officers and viewers read the same pages without forms. Axe on every new page in every
// role, at desktop width and in a 390 px window (no sideways scroll).
//
// Started by tests/browser/run, which provides WPT_URL, WPT_DEMO_PASSWORD,
// WPT_SCREENSHOTS, CHROMIUM_PATH (see lib.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, OFFICER, SECRETARIAT, VIEWER, ADMIN, windowFor, check, login, api, assertClean,
} from './lib.js';

const STAMP = String(Date.now()).slice(-6);
const BODY = `SOMB${STAMP}`;

/** Screenshot and axe at 390 px, and no horizontal scrolling there; back to desktop. */
async function narrow(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `${name}: ${wide}px of sideways scrolling at 390 px`);
  await check(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function openPlan(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plan structure' }).click();
  await page.waitForURL(/\/ui\/plans\/[0-9a-f-]+$/);
  await page.getByRole('heading', { name: /: structure$/, level: 1 }).waitFor();
}

test('the administrator adds a body to the active plan and the secretariat assigns it an activity', async () => {
  const admin = await windowFor();
  await login(admin, ADMIN.email, ADMIN.password);
  await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Bodies' }).click();
  await admin.getByRole('heading', { name: 'Sectoral bodies', level: 1 }).waitFor();
  await check(admin, 'bodies');
  await narrow(admin, 'bodies');

  // A refused new body keeps what was typed.
  const create = admin.getByRole('form', { name: 'New sectoral body' });
  await create.getByLabel('Code (required)').fill('not a code');
  await create.getByLabel('Name (required)').fill('Typed name');
  await create.getByRole('button', { name: 'Create body' }).click();
  await admin.getByRole('alert').filter({ hasText: 'Please correct the fields below.' }).waitFor();
  assert.equal(await create.getByLabel('Name (required)').inputValue(), 'Typed name');
  await check(admin, 'bodies-refused');

  await create.getByLabel('Code (required)').fill(BODY);
  await create.getByLabel('Name (required)').fill('Senior Officials Meeting (browser test)');
  await create.getByLabel('Pillar (required)').selectOption('ASCC');
  await create.getByRole('button', { name: 'Create body' }).click();
  await admin.getByText(`Created ${BODY}.`).waitFor();

  // Edit it.
  await admin.getByRole('link', { name: `Edit ${BODY}` }).click();
  await admin.getByRole('heading', { name: `Edit ${BODY}` }).waitFor();
  await check(admin, 'body-edit');
  await narrow(admin, 'body-edit');
  await admin.getByLabel('Notes (optional)').fill('Added in the browser test');
  await admin.getByRole('button', { name: `Save ${BODY}` }).click();
  await admin.getByText(`Saved ${BODY}.`).waitFor();

  // Add it to the plan as a member.
  const join = admin.locator('#join');
  await join.getByLabel('Body (required)').selectOption(BODY);
  await join.getByLabel('Role (required)').selectOption('member');
  await join.getByRole('button', { name: /^Add to / }).click();
  await admin.getByText(`${BODY} now takes part in the plan`).waitFor();
  await admin.locator('#participants').getByRole('cell', { name: BODY, exact: true }).waitFor();
  await check(admin, 'bodies-joined');

  // The secretariat assigns it an activity.
  const sec = await windowFor();
  await login(sec, SECRETARIAT);
  await openPlan(sec);
  const form = sec.getByRole('form', { name: 'New activity' });
  await form.getByLabel('Code, e.g. A.1.2 (required)').fill(`A.${STAMP}.1`);
  await form.getByLabel('Title (required)').fill(`Outreach led by ${BODY}`);
  await form.getByLabel('Lead body (required)').selectOption(BODY);
  await form.getByRole('button', { name: 'Create activity' }).click();
  await sec.getByText(`Created A.${STAMP}.1`).waitFor();

  const get = await api(SECRETARIAT);
  const found = await get(`/activities?q=${encodeURIComponent(`A.${STAMP}.1`)}&limit=10`);
  const made = found.items.find((a) => a.code === `A.${STAMP}.1`);
  assert.ok(made, 'the API lists the new activity');
  assert.equal(made.lead_body, BODY);

  // Assigned, the body cannot leave the plan: the page says which activity holds it.
  await admin.getByRole('button', { name: `Remove ${BODY}` }).click();
  await admin.getByRole('alert').filter({ hasText: `A.${STAMP}.1` }).waitFor();
  await check(admin, 'bodies-remove-refused');
  await admin.context().close();
  await sec.context().close();
});

test('the secretariat creates an activity with a milestone and an indicator', async () => {
  const page = await windowFor();
  await login(page, SECRETARIAT);
  await openPlan(page);
  await check(page, 'plan-secretariat');
  await narrow(page, 'plan-secretariat');

  const form = page.getByRole('form', { name: 'New activity' });
  const code = `B.${STAMP}.2`;
  await form.getByLabel('Area (required)').selectOption('B');
  await form.getByLabel('Code, e.g. A.1.2 (required)').fill(code);
  await form.getByLabel('Title (required)').fill('Shelter guidelines reviewed');
  await form.getByLabel('Description (optional)').fill('A review of the regional shelter guidelines.');
  await form.getByLabel('ACTIP / APA reference (optional)').fill('ACTIP Art. 14');
  await form.getByLabel('Planned start (optional)').fill('2027-01-01');
  // A refusal keeps what was typed.
  await form.getByLabel('Planned end (optional)').fill('2026-01-01');
  await form.getByLabel('Lead body (required)').selectOption('DGICM');
  await form.getByRole('checkbox', { name: 'ACWC' }).check();
  await form.getByRole('button', { name: 'Create activity' }).click();
  await page.getByRole('alert').filter({ hasText: 'Please correct the fields below.' }).waitFor();
  await page.getByText('is before planned_start', { exact: true }).waitFor();
  assert.equal(await form.getByLabel('Title (required)').inputValue(), 'Shelter guidelines reviewed');
  assert.ok(await form.getByRole('checkbox', { name: 'ACWC' }).isChecked());
  await check(page, 'activity-refused');
  await form.getByLabel('Planned end (optional)').fill('2027-12-31');
  await form.getByRole('button', { name: 'Create activity' }).click();
  await page.getByText(`Created ${code}`).waitFor();
  await page.getByRole('heading', { name: `${code} Shelter guidelines reviewed`, level: 1 }).waitFor();

  const ms = page.getByRole('form', { name: 'New milestone' });
  await ms.getByLabel('Milestone (required)').fill('Draft review circulated');
  await ms.getByLabel('Due on (required)').fill('2027-06-30');
  await ms.getByRole('button', { name: 'Add milestone' }).click();
  await page.getByText('Added the milestone Draft review circulated').waitFor();

  const ind = page.getByRole('form', { name: 'New indicator' });
  await ind.getByLabel('Indicator (required)').fill('Member states consulted');
  await ind.getByLabel('Measure (required)').selectOption('percent');
  await ind.getByLabel('Target (optional)').fill('150');
  await ind.getByRole('button', { name: 'Add indicator' }).click();
  await page.getByRole('alert').filter({ hasText: 'Please correct the fields below.' }).waitFor();
  assert.equal(await ind.getByLabel('Indicator (required)').inputValue(), 'Member states consulted');
  await ind.getByLabel('Target (optional)').fill('100');
  await ind.getByRole('button', { name: 'Add indicator' }).click();
  await page.getByText('Added the indicator Member states consulted').waitFor();
  await check(page, 'activity-structure');
  await narrow(page, 'activity-structure');

  const get = await api(SECRETARIAT);
  const found = await get(`/activities?q=${encodeURIComponent(code)}&limit=10`);
  const made = found.items.find((a) => a.code === code);
  assert.deepEqual(made.cooperating_bodies, ['ACWC']);
  assert.equal((await get(`/activities/${made.id}/milestones`)).items[0].title, 'Draft review circulated');
  assert.equal((await get(`/activities/${made.id}/indicators`)).items[0].target, '100');
  await page.context().close();
});

test('officers and viewers read the structure without forms', async () => {
  for (const [who, name] of [[OFFICER, 'officer'], [VIEWER, 'viewer']]) {
    const page = await windowFor();
    await login(page, who);
    await openPlan(page);
    assert.equal(await page.locator('main form[method="post"]').count(), 0, `${name}: no form`);
    await check(page, `plan-${name}`);
    await narrow(page, `plan-${name}`);
    await page.locator('main table a').first().click();
    await page.getByRole('link', { name: "Back to the plan's structure" }).waitFor();
    assert.equal(await page.locator('main form[method="post"]').count(), 0, `${name}: no form on the activity`);
    await check(page, `activity-${name}`);
    await narrow(page, `activity-${name}`);
    const res = await page.request.get(`${BASE}/ui/admin/bodies`);
    assert.equal(res.status(), 403, `${name}: no bodies page`);
    await page.context().close();
  }
});

test('no axe problem and no request off loopback on the bodies and plan pages', () => {
  assertClean();
});
