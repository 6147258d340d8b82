import { test, expect, type APIRequestContext, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ReturnState } from '../../shared/contract.js';
import { draftChanges } from '../../shared/draft.js';
import { parseTemplate } from '../../shared/template/model.js';
import { sampleValues } from '../helpers/sample.js';
import { ownServer } from './own-server.js';

/**
 * Review of issue 7 (commune side) in the browser. A save that fails (full disk, the app stopped)
 * while the stored draft still equals revision 1: "In" printed the unsaved figures stamped
 * "Lần nộp 1, mã gói …", and "Xuất tệp Excel" gave the _r1 file, both without a word. Export and
 * print now wait for the save and, when it fails, say so and produce nothing.
 * E2E_PORT=47902 npx playwright test tests/e2e/issue7-review-commune.spec.ts
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const PERIOD = '2026-Q2';

async function rpc<T>(request: APIRequestContext, name: string, input: unknown): Promise<T> {
  const r = await request.post(`/api/rpc/${name}`, { data: input });
  const body = (await r.json()) as { ok: boolean; result: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
  return body.result;
}
const cell = (page: Page, p: string) => page.locator(`[data-cell="${p}"]`);

test.describe.configure({ mode: 'serial' });
ownServer(14, 'cr-e2e-review-commune-');

test('export and print refuse, in Vietnamese, while a change is not saved; never a page stamped with the old revision', async ({
  page,
  request,
}) => {
  await rpc(request, 'app.setup', { role: 'commune', unitCode: '11948' });
  const st = await rpc<ReturnState>(request, 'returns.open', { template: 'BC-CX', period: PERIOD });
  const t = parseTemplate(await rpc<unknown>(request, 'templates.get', { id: 'BC-CX', version: 1 }));
  const changes = draftChanges(t, st, { values: sampleValues(), explanations: st.explanations, asOf: st.asOf });
  await rpc(request, 'returns.saveDraft', { returnId: st.returnId, baseVersion: st.draftVersion, changes });
  await rpc(request, 'returns.submit', { returnId: st.returnId });

  await page.addInitScript(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
  await page.goto(`/#/return/${PERIOD}`);
  const pop = cell(page, 'unit_info.population');
  await expect(pop).toBeVisible();

  // Saving fails from now on (as on a full disk): the answer is the app's own error shape.
  await page.route('**/api/rpc/returns.saveDraft', (r) =>
    r.fulfill({
      status: 507,
      contentType: 'application/json',
      body: JSON.stringify({ ok: false, error: { code: 'disk_full', message: 'Ổ đĩa đã đầy nên chưa lưu được. Hãy giải phóng ổ đĩa.' } }),
    }),
  );
  await pop.fill('9999');
  await pop.press('Tab');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'error', { timeout: 15_000 });

  let downloaded = false;
  page.on('download', () => (downloaded = true));
  await page.getByRole('button', { name: 'In', exact: true }).click();
  const notice = page.getByText('Chưa xuất, chưa in: có sửa đổi chưa lưu được');
  await expect(notice).toBeVisible();
  await expect(page.getByText('đợi đến khi hiện "Đã lưu" rồi xuất hoặc in lại')).toBeVisible();
  await expect(page.getByTestId('print-now')).toHaveCount(0);
  await expect(page.getByText(/Lần nộp 1, mã gói/)).toHaveCount(0);
  await page.screenshot({ path: path.join(SHOTS, 'issue7-review-print-not-saved.png') });

  await page.getByTestId('export-button').click();
  await expect(notice).toBeVisible();
  await expect(page.getByTestId('draft-output')).toHaveCount(0);
  await page.waitForTimeout(500); // a download would have started by now
  expect(downloaded).toBe(false);

  // Saving works again: the change is saved, and print offers submit-first or a marked draft.
  await page.unroute('**/api/rpc/returns.saveDraft');
  await page.getByRole('button', { name: 'In', exact: true }).click();
  await expect(page.getByTestId('draft-output')).toContainText('Bản đang soạn khác lần nộp 1 (1 ô)');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved');
});
