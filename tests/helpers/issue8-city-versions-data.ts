/**
 * Engineer L (issue 8): a small template in two versions for the tests of versions mixed in one
 * period (tests/integration/issue8-city-versions.test.ts, tests/e2e/issue8-city-versions.spec.ts).
 * v2 changes a label, removes an item (cars) and adds one (computers).
 */
import type { Template } from '../../shared/index.js';
import { parseTemplate } from '../../shared/index.js';

export const ID = 'TEST-PB';
export const PERIOD = '2026-Q2';

export function v1Template(): Template {
  return parseTemplate({
    id: ID,
    version: 1,
    title: { vi: 'Báo cáo thử nghiệm phiên bản' },
    receivingBody: { vi: 'Sở Nội vụ' },
    periodTypes: ['quarter'],
    deadlineDay: 20,
    sections: [
      {
        key: 'chung',
        code: 'Biểu 01',
        title: { vi: 'Thông tin chung' },
        items: [
          { kind: 'field', key: 'so_can_bo', type: 'integer', required: true, label: { vi: 'Số cán bộ' } },
          { kind: 'field', key: 'so_phong', type: 'integer', required: true, label: { vi: 'Số phòng chuyên môn' } },
          { kind: 'field', key: 'so_xe', type: 'integer', label: { vi: 'Số xe ô tô' } },
        ],
      },
    ],
    rules: [],
    consolidation: {
      chung: { so_can_bo: { sum: 'chung.so_can_bo' }, so_phong: { sum: 'chung.so_phong' }, so_xe: { sum: 'chung.so_xe' } },
    },
  });
}

export function v2Template(): Template {
  const t = structuredClone(v1Template()) as Template & { sections: { items: { key: string; label: { vi: string } }[] }[] };
  const items = t.sections[0]!.items;
  items[0]!.label = { vi: 'Tổng số cán bộ, công chức' };
  items.splice(2, 1);
  items.push({ kind: 'field', key: 'so_may_tinh', type: 'integer', label: { vi: 'Số máy tính' } } as never);
  return parseTemplate({
    ...t,
    version: 2,
    consolidation: {
      chung: { so_can_bo: { sum: 'chung.so_can_bo' }, so_phong: { sum: 'chung.so_phong' }, so_may_tinh: { sum: 'chung.so_may_tinh' } },
    },
  });
}

