// Evidence files in a real browser (issue 18): an officer attaches a PDF to a progress
// update in the row's Update form and to a report block, submits the report; the
// secretariat downloads the file from the review page and its bytes are the officer's
// (SHA-256 compared). A web page chosen as a file is refused before any upload. Axe on
// each page, desktop and 390 px (no sideways scrolling).
//
// Started by tests/browser/run (see lib.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  BASE, OFFICER, SECRETARIAT, windowFor, check, login, api, isoDay, assertClean,
} from './lib.js';

const CYCLE = `Files SOMTC ${Date.now()}`;

/** A tiny valid PDF, different every run. */
function pdf(text) {
  return Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% ${text}\ntrailer << /Root 1 0 R >>\n%%EOF\n`);
}

const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');

async function narrow(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `${name}: ${wide}px of sideways scrolling at 390 px`);
  await check(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('an officer attaches a PDF to an update and to a report entry; the secretariat downloads it', async () => {
  const officer = await windowFor();
  await login(officer, OFFICER);
  const first = officer.locator('#activities tbody').first();
  const code = (await first.locator('td').first().innerText()).trim();
  await first.getByRole('link', { name: `Update ${code}` }).click();
  const form = officer.getByRole('form', { name: `Update ${code}` });
  await form.waitFor();

  // A web page is refused as soon as it is chosen: never uploaded.
  const file = form.getByLabel('Evidence file');
  await file.setInputFiles({ name: 'report.html', mimeType: 'text/html', buffer: Buffer.from('<html><body>hi</body></html>') });
  await form.locator('.file-refused').filter({ hasText: 'not accepted' }).waitFor();
  assert.equal(await file.evaluate((e) => e.files.length), 0, 'the input was cleared');
  await check(officer, 'update-file-refused');

  const update = pdf(`update ${Date.now()}`);
  await file.setInputFiles({ name: 'Workshop report.pdf', mimeType: 'application/pdf', buffer: update });
  await form.getByLabel('What was done (required)').fill('Workshop held; report attached');
  await check(officer, 'update-form-with-file');
  await narrow(officer, 'update-form-with-file');
  await form.getByRole('button', { name: 'Save update' }).click();
  await officer.locator('#announce').filter({ hasText: `Saved: ${code}` }).waitFor();

  const asOfficer = await api(OFFICER);
  const list = await asOfficer('/activities?body=DGICM&limit=200');
  const activity = list.items.find((a) => a.code === code);
  const progress = await asOfficer(`/activities/${activity.id}/progress`);
  assert.equal(progress.items[0].attachments[0].filename, 'Workshop report.pdf');
  assert.equal(progress.items[0].attachments[0].sha256, sha(update));

  // The secretariat opens a cycle; the officer attaches a PDF to a report block.
  const sec = await windowFor();
  await login(sec, SECRETARIAT);
  await sec.goto(`${BASE}/ui/cycles`);
  await sec.getByLabel('Name (required)').fill(CYCLE);
  await sec.getByLabel('Meeting date (required)').fill(isoDay(60));
  await sec.getByLabel('Period covered from (required)').fill(isoDay(-300));
  await sec.getByLabel('Period covered to (required)').fill(isoDay(0));
  await sec.getByLabel('Open for submissions on (required)').fill(isoDay(-1));
  await sec.getByRole('button', { name: 'Create cycle' }).click();
  await sec.getByRole('button', { name: `Open ${CYCLE}` }).click();
  await sec.getByRole('button', { name: `Yes, open ${CYCLE}` }).click();
  await sec.waitForURL(/\/board$/);

  await officer.goto(`${BASE}/ui/cycles`);
  await officer.getByRole('row', { name: new RegExp(CYCLE) }).getByRole('link', { name: 'My report' }).click();
  const block = officer.locator('section.block').first();
  await block.waitFor();
  const mou = pdf(`MoU ${Date.now()}`);
  await block.getByLabel('What was done (required)').fill('MoU signed; attached');
  await block.getByLabel('Add an evidence file').setInputFiles({ name: 'Signed MoU.pdf', mimeType: 'application/pdf', buffer: mou });
  await block.getByRole('button', { name: /^Save draft of / }).click();
  await officer.locator('section.block').first().locator('.saved').waitFor();
  await officer.locator('section.block').first().getByLabel(/^Keep Signed MoU\.pdf/).waitFor();
  await check(officer, 'report-block-with-file');
  await narrow(officer, 'report-block-with-file');
  await officer.getByRole('button', { name: 'Submit report' }).click();
  await officer.getByRole('button', { name: 'Yes, submit the report' }).click();
  await officer.locator('#submission-status').filter({ hasText: 'Submitted' }).waitFor();

  // The secretariat downloads it from the review page: the same bytes. (Other files may
  // have left DGICM reports in the queue: this cycle's own link.)
  const asSec = await api(SECRETARIAT);
  const cycle = (await asSec('/cycles?limit=200')).items.find((c) => c.name === CYCLE);
  await sec.goto(`${BASE}/ui/review`);
  await sec.locator(`a[href="/ui/cycles/${cycle.id}/submissions/DGICM"]`).click();
  const link = sec.getByRole('link', { name: 'Signed MoU.pdf' }).first();
  await link.waitFor();
  await check(sec, 'review-with-file');
  await narrow(sec, 'review-with-file');
  const download = sec.waitForEvent('download');
  await link.click();
  const got = await download;
  assert.equal(got.suggestedFilename(), 'Signed MoU.pdf');
  const bytes = await readFile(await got.path());
  assert.equal(sha(bytes), sha(mou), 'the downloaded file is the one attached');

  // Accepted, the report is locked: the officer proposes a correction that drops the MoU
  // and adds the signed annex instead (amendments add and remove files like any field).
  await sec.getByRole('button', { name: "Accept DGICM's report" }).click();
  await sec.getByRole('button', { name: "Yes, accept DGICM's report" }).click();
  await sec.waitForURL(/\/ui\/(review|cycles\/[0-9a-f-]+\/submissions\/[A-Z]+)$/);
  await officer.goto(`${BASE}/ui/cycles/${cycle.id}/submissions/DGICM`);
  await officer.getByRole('link', { name: 'Propose a correction' }).first().click();
  const amend = officer.locator('#amend-form');
  await amend.waitFor();
  await amend.getByLabel(/^Keep Signed MoU\.pdf/).uncheck();
  const annex = pdf(`annex ${Date.now()}`);
  await amend.getByLabel('Add an evidence file').setInputFiles({ name: 'Signed annex.pdf', mimeType: 'application/pdf', buffer: annex });
  await amend.getByLabel(/^Reason for the correction/).fill('The MoU attached was the unsigned draft');
  await check(officer, 'amendment-form-with-file');
  await narrow(officer, 'amendment-form-with-file');
  await amend.getByRole('button', { name: 'Propose the correction' }).click();
  await officer.waitForURL(new RegExp(`/ui/cycles/${cycle.id}/submissions/DGICM$`));
  await check(officer, 'amendment-proposed');
  const amendments = await asOfficer(`/cycles/${cycle.id}/submissions/DGICM/amendments`);
  const proposed = amendments.items.at(-1).proposed_attachments;
  assert.deepEqual(proposed.map((f) => f.filename), ['Signed annex.pdf'], 'the MoU dropped, the annex proposed');
  assert.equal(proposed[0].sha256, sha(annex));

  // The secretariat decides it in the pages: the accepted values beside the proposed
  // ones, a question before the one-way step, then a message in words.
  await sec.goto(`${BASE}/ui/cycles/${cycle.id}/submissions/DGICM`);
  const corrections = sec.locator('#amendments');
  await corrections.getByRole('heading', { name: 'Corrections proposed after acceptance' }).waitFor();
  await corrections.getByText('The MoU attached was the unsigned draft').waitFor();
  await check(sec, 'amendment-to-decide');
  await narrow(sec, 'amendment-to-decide');
  await corrections.getByRole('button', { name: 'Accept the correction' }).first().click();
  const yes = sec.getByRole('button', { name: /^Yes, accept the correction to / });
  await yes.waitFor();
  await check(sec, 'amendment-accept-confirm');
  await narrow(sec, 'amendment-accept-confirm');
  await yes.click();
  await sec.getByText(/^Correction to .+ accepted/).first().waitFor();
  await check(sec, 'amendment-accepted');
  await narrow(sec, 'amendment-accepted');
  const decided = (await asOfficer(`/cycles/${cycle.id}/submissions/DGICM/amendments`)).items.at(-1);
  assert.equal(decided.status, 'accepted');

  await sec.context().close();
  await officer.context().close();
  assertClean();
});
