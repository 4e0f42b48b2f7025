// Trends across cycles and the review conversation in a real browser (issue 19): the
// dashboard's "Across cycles" tables and the activity page's line hold the API's
// numbers; the demo's past review page carries its conversation; a comment is posted
// from a review page and the API has it. Axe on every page, at desktop width and in a
// 390 px window (no sideways scroll).
//
// Started by tests/browser/run, which provides WPT_URL, WPT_DEMO_PASSWORD,
// WPT_SCREENSHOTS, CHROMIUM_PATH (see lib.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, PASSWORD, SECRETARIAT, VIEWER, windowFor, check, login, api, isoDay, assertClean,
} from './lib.js';

async function narrow(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `${name}: ${wide}px of sideways scrolling at 390 px`);
  await check(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function token(email) {
  const res = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  return (await res.json()).access_token;
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

test('the dashboard\'s "Across cycles" tables hold the API\'s numbers, for the secretariat and a viewer', async () => {
  for (const who of [SECRETARIAT, VIEWER]) {
    const get = await api(who);
    const plans = await get('/work-plans');
    const plan = plans.items.find((p) => p.status === 'active') ?? plans.items[0];
    const trends = await get(`/work-plans/${plan.id}/trends`);
    assert.ok(trends.cycles.length >= 3, 'the demo has past cycles');
    const page = await windowFor();
    await login(page, who);
    await page.goto(`${BASE}/ui/dashboard`);
    await page.locator('#across-cycles').waitFor();
    await check(page, `dashboard-across-cycles-${who.split('@')[0]}`);
    await narrow(page, `dashboard-across-cycles-${who.split('@')[0]}`);
    for (const c of trends.cycles) {
      const row = page.locator(`#table-cycles tbody tr[data-row="${c.name}"]`);
      for (const key of ['not_started', 'on_track', 'at_risk', 'delayed', 'completed', 'discontinued']) {
        assert.equal(Number(await row.locator(`td[data-status="${key}"]`).innerText()), c.counts[key], `${c.name} ${key}`);
      }
    }
    for (const b of trends.bodies) {
      const row = page.locator(`#table-on-time tr[data-body="${b.body}"]`);
      assert.equal(await row.locator('td[data-key="on_time"]').innerText(), `${b.on_time} of ${b.reports}`);
      for (const r of b.cycles) {
        assert.equal(Number(await row.locator(`td[data-cycle="${r.cycle_id}"]`).getAttribute('data-days-late')), r.days_late, `${b.body}`);
      }
    }
    await page.context().close();
  }
  assertClean();
});

test('the activity page draws the activity\'s line with the API\'s numbers', async () => {
  const get = await api(SECRETARIAT);
  const acts = await get('/activities?limit=200');
  let shown = 0;
  const page = await windowFor();
  await login(page, SECRETARIAT);
  for (const a of acts.items.slice(0, 3)) {
    const trend = await get(`/activities/${a.id}/trend`);
    await page.goto(`${BASE}/ui/activities/${a.id}`);
    await page.locator('#activity-trend').waitFor();
    for (const c of trend.cycles) {
      for (const p of c.bodies) {
        const cell = page.locator(`#table-activity-trend tr[data-body="${p.body}"] td[data-cycle="${c.cycle_id}"]`);
        assert.equal(await cell.getAttribute('data-status'), p.status);
        assert.equal(await cell.getAttribute('data-percent'), String(p.percent_complete));
        shown += 1;
      }
    }
  }
  assert.ok(shown > 0, 'some accepted entries shown');
  await check(page, 'activity-trend');
  await narrow(page, 'activity-trend');
  await page.context().close();
  assertClean();
});

test('a comment is posted from a review page, and the demo\'s past report carries its conversation', async () => {
  const sec = await token(SECRETARIAT);
  const plans = await send(sec, 'GET', '/work-plans');
  const plan = plans.items.find((p) => p.status === 'active') ?? plans.items[0];
  const trends = await send(sec, 'GET', `/work-plans/${plan.id}/trends`);
  const page = await windowFor();
  await login(page, SECRETARIAT);
  // The demo's conversation, on a closed cycle: readable, no form. (Other files may
  // have closed cycles of their own, so each closed cycle is looked at.)
  let latest = null;
  let withThread = null;
  for (const closed of trends.cycles.filter((c) => c.state === 'closed')) {
    const board = await send(sec, 'GET', `/cycles/${closed.cycle_id}/submissions`);
    for (const row of board.items) {
      // A body added to the plan after the cycle closed has no report there (404).
      const r = await fetch(`${BASE}/api/v1/cycles/${closed.cycle_id}/submissions/${row.body}/comments`,
        { headers: { authorization: `Bearer ${sec}` } });
      if (r.status === 404) continue;
      assert.equal(r.status, 200);
      if ((await r.json()).items.length) { latest = closed; withThread = row.body; }
    }
  }
  assert.ok(withThread, 'a report of the demo carries a conversation');
  await page.goto(`${BASE}/ui/cycles/${latest.cycle_id}/submissions/${withThread}`);
  await page.locator('#conversation .thread').first().waitFor();
  assert.equal(await page.locator('#comment-form').count(), 0, 'closed: no new comments');
  await check(page, 'review-conversation-closed');
  await narrow(page, 'review-conversation-closed');

  // An open cycle of our own; the secretariat asks DGICM a question from the page.
  const name = `Conversation ${String(Date.now()).slice(-6)}`;
  const cycle = await send(sec, 'POST', '/cycles', {
    work_plan_id: plan.id, kind: 'ad_hoc', name, meeting_date: isoDay(90),
    period_start: isoDay(-200), period_end: isoDay(0), opens_on: isoDay(-1),
  });
  await send(sec, 'POST', `/cycles/${cycle.id}/open`);
  await page.goto(`${BASE}/ui/cycles/${cycle.id}/submissions/DGICM`);
  await page.getByLabel('Comment (required, up to 4,000 characters)').fill('Which workshop is this? Please attach the MoU.');
  await page.getByRole('button', { name: 'Add comment' }).click();
  await page.locator('.flash').filter({ hasText: 'Comment added' }).waitFor();
  await page.locator('#conversation').getByText('Which workshop is this? Please attach the MoU.').waitFor();
  await check(page, 'review-conversation-open');
  await narrow(page, 'review-conversation-open');
  const listed = await send(sec, 'GET', `/cycles/${cycle.id}/submissions/DGICM/comments`);
  assert.equal(listed.items.length, 1);
  assert.equal(listed.items[0].text, 'Which workshop is this? Please attach the MoU.');
  // The board counts it as unresolved.
  await page.goto(`${BASE}/ui/cycles/${cycle.id}/board`);
  assert.equal(await page.locator('tr[data-body="DGICM"] .unresolved-cell').innerText(), '1');
  // Leave no open cycle behind for the other files.
  await send(sec, 'POST', `/cycles/${cycle.id}/close`);
  await page.context().close();
  assertClean();
});
