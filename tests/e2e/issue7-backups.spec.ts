import { test, expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { sampleReturn, tempDir } from '../helpers/sample.js';
import { ownServer } from './own-server.js';

/**
 * Issue 7, item 6: restore a backup from the app. Two revisions are submitted from the command
 * line into the database the browser-mode server has open (two processes on one file); the clerk
 * opens "Sao lưu" from the header, restores the backup made before revision 2 after confirming,
 * and the running app shows the restored data without a restart.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250); // let transitions settle so the picture shows the final state
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

test.describe.configure({ mode: 'serial' });

// A database of its own: this file counts revisions from 1 and starts from the first-start screen.
const own = ownServer(4, 'cr-e2e-backups-');

test('restore a backup from the header link, with confirmation, without restarting', async ({ page }) => {
  const db = own.db;
  const tmp = tempDir('cr-e2e-backups-');
  try {
    const ok = tmp.writeJson('ok.json', sampleReturn());
    const c = sampleReturn();
    c.values.staff.recruited = 2;
    const corrected = tmp.writeJson('corrected.json', c);
    for (const f of [ok, corrected]) {
      const r = await runCli(['submit', '--db', db, '--from-json', f]);
      expect(r.code, r.stderr).toBe(0);
    }

    await page.goto('/#/periods'); // the periods list (the home is "Việc phải nộp", issue 9)
    const q2 = page.getByRole('row', { name: /Quý II\/2026/ });
    await expect(q2).toContainText('Đã nộp (lần 2)');

    await page.getByTestId('header-backups').click();
    await expect(page.getByRole('heading', { name: 'Sao lưu dữ liệu' })).toBeVisible();
    const rows = page.getByTestId('backups-table').locator('tbody tr');
    // Before each of the two submits (and the daily one of the command line's first open).
    await expect(rows.filter({ hasText: 'Trước khi nộp báo cáo' })).toHaveCount(2);
    await expect(rows.nth(0)).toContainText('Trước khi nộp báo cáo');
    await expect(rows.nth(0)).toContainText(/\d{2}\/\d{2}\/\d{4}/);
    await shot(page, 'issue7-backups-list');

    // The newest backup was made just before revision 2: it holds revision 1.
    await rows.nth(0).getByRole('button', { name: 'Khôi phục' }).click();
    const dialog = page.getByRole('dialog', { name: 'Khôi phục bản sao lưu?' });
    await expect(dialog).toContainText('Trước khi nộp báo cáo');
    await expect(dialog).toContainText('sao lưu dữ liệu hiện tại');
    // What the restore would take away is said before anything changes: revision 2.
    await expect(dialog.getByTestId('backups-revisions-since')).toContainText('1 lần nộp sau thời điểm sao lưu sẽ không còn');
    await expect(dialog.getByTestId('backups-revisions-since')).toContainText('Quý II/2026 — lần nộp 2, nộp lúc');
    await shot(page, 'issue7-backups-confirm');
    await dialog.getByTestId('backups-confirm').click();
    await expect(page.getByTestId('backups-done')).toContainText('Đã khôi phục dữ liệu như lúc');
    await expect(dialog).toBeHidden();
    // The current data was kept first.
    await expect(rows.filter({ hasText: 'Trước khi khôi phục' })).toHaveCount(1);
    await shot(page, 'issue7-backups-restored');

    await page.setViewportSize({ width: 1024, height: 768 });
    await shot(page, 'issue7-backups-restored-1024');
    await page.setViewportSize({ width: 1366, height: 768 });

    // The running server reads the restored database: revision 1 only.
    await page.goto('/#/periods');
    await expect(page.getByRole('row', { name: /Quý II\/2026/ })).toContainText('Đã nộp (lần 1)');
    await shot(page, 'issue7-backups-after-restore-periods');
  } finally {
    tmp.cleanup();
  }
});
