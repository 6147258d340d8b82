import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate, type Expr, type Rule } from '../../shared/index.js';
import { exprLeaves } from '../../shared/template/model.js';
import { ruleCell, ruleReads, type Issue } from '../../shared/template/rules.js';
import { exprRefs } from '../../shared/template/authoring/expr.js';
import { indexIssues } from '../../renderer/editor/issueIndex.js';
import { q2, sampleValues, template } from './fixtures.js';

/**
 * Engineer N (issue 8, second round): what was written twice now has one place, and what was left
 * over is gone.
 */

const e: Expr = {
  sum: [{ ref: 'a.x' }, { band: { col: 'c' }, bands: [{ atLeast: 1, value: 'one' }], else: 'none' }, { max: [3, { count: 'a.rows', where: { column: 'k', equals: 'v' } }] }, { periodYear: true }],
};

describe('one walk over an expression (exprLeaves) for the rules and the authoring format', () => {
  it('lists what an expression names in reading order, through every operator', () => {
    expect(exprLeaves(e)).toEqual([{ ref: 'a.x' }, { col: 'c' }, { count: 'a.rows', where: { column: 'k', equals: 'v' } }]);
    expect(exprLeaves({ div: [{ mul: [{ ref: 'p' }, 2] }, { sub: [{ min: [{ ref: 'q' }] }, 1] }] })).toEqual([{ ref: 'p' }, { ref: 'q' }]);
    expect(exprLeaves(7)).toEqual([]);
  });

  it('gives the authoring format its references by kind and a rule the cell it points at', () => {
    expect(exprRefs(e)).toEqual({ refs: ['a.x'], cols: ['c'], counts: [{ path: 'a.rows', column: 'k' }] });
    const rule = { id: 'r', check: 'compare', severity: 'error', left: { ref: 'a.x' }, op: '<=', right: e, message: { vi: 'x' } } as unknown as Extract<Rule, { check: 'compare' }>;
    expect(ruleCell(rule)).toBe('a.rows');
    expect(ruleReads(rule)).toEqual(['a.x', 'a.x', 'a.rows']);
  });
});

describe('one formatter of dates in messages', () => {
  it('writes the as-of date and the window dd/mm/yyyy, as shared/format.ts formatDate does', () => {
    const section = template.sections[0]!.key;
    const r = validate(template, sampleValues(), { period: q2, unitType: 'xã', asOf: { [section]: '2026-01-05' } });
    const asOf = r.errors.find((i) => i.id === `asof:${section}`);
    expect(asOf?.message).toContain('05/01/2026');
    expect(asOf?.message).toContain('15/03/2026 – 14/06/2026');
  });
});

describe('one index of issues for the editor, the review and the preview (indexIssues)', () => {
  const table = template.sections.flatMap((s) => s.items.map((i) => ({ s, i }))).find(({ i }) => i.kind === 'table')!;
  const field = template.sections.flatMap((s) => s.items.map((i) => ({ s, i }))).find(({ i }) => i.kind === 'field')!;
  const issue = (over: Partial<Issue>): Issue => ({ id: 'x', severity: 'warning', path: '', cell: '', section: '', message: 'm', ...over }) as Issue;
  const cellPath = `${table.s.key}.${table.i.key}.r1.c1`;
  const fieldPath = `${field.s.key}.${field.i.key}`;
  const issues = [
    issue({ id: 'w', cell: cellPath, severity: 'warning' }),
    issue({ id: 'e', cell: cellPath, severity: 'error' }),
    issue({ id: `asof:${field.s.key}`, cell: fieldPath, section: field.s.key }),
    issue({ id: `cell:${fieldPath}`, cell: fieldPath, severity: 'error' }),
  ];

  it('puts a table cell issue under its row, an as-of date issue at its section, and the worst severity per cell', () => {
    const index = indexIssues(template, issues);
    expect(index.row(`${table.s.key}.${table.i.key}.r1`).map((i) => i.id)).toEqual(['w', 'e']);
    expect(index.at(cellPath)).toEqual([]);
    expect(index.at(`asof:${field.s.key}`).map((i) => i.id)).toEqual([`asof:${field.s.key}`]);
    expect(index.severity(cellPath)).toBe('error');
    expect(index.at(fieldPath).map((i) => i.id)).toEqual([`cell:${fieldPath}`]);
  });

  it('leaves out what the editor does not show yet, and places everything at its cell without a template', () => {
    expect(indexIssues(template, issues, (i) => i.id.startsWith('cell:')).at(fieldPath)).toEqual([]);
    expect(indexIssues(null, issues).at(cellPath).map((i) => i.id)).toEqual(['w', 'e']);
  });
});

describe('the screens’ texts', () => {
  // The catalogue is vi.json plus the vi-*.json parts merged by renderer/i18n/index.ts (en alike).
  const catalogue = (lang: string) =>
    Object.assign(
      {},
      ...readdirSync('renderer/i18n')
        .filter((n) => n === `${lang}.json` || (n.startsWith(`${lang}-`) && n.endsWith('.json')))
        .map((n) => JSON.parse(readFileSync(path.join('renderer/i18n', n), 'utf8')) as Record<string, unknown>),
    ) as Record<string, unknown>;
  const vi = catalogue('vi');
  const en = catalogue('en');
  const keys = (o: Record<string, unknown>, p = ''): string[] =>
    Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v as Record<string, unknown>, `${p}${k}.`) : [`${p}${k}`]));
  const base = (k: string) => k.replace(/_(zero|one|two|few|many|other)$/, '');
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const f = path.join(dir, n);
      return statSync(f).isDirectory() ? files(f) : /\.tsx?$/.test(n) ? [f] : [];
    });
  const source = [...files('renderer'), ...files('shared')].map((f) => readFileSync(f, 'utf8')).join('\n');

  it('name the app for any report of the UBND cấp xã', () => {
    expect((vi.app as Record<string, string>).title).toBe('Báo cáo của UBND cấp xã');
    expect(readFileSync('renderer/index.html', 'utf8')).toContain('<title>Báo cáo của UBND cấp xã — Hải Phòng</title>');
    expect(readFileSync('electron/main.ts', 'utf8')).toContain("title: 'Báo cáo của UBND cấp xã — Hải Phòng'");
  });

  it('are each used by a screen (no key left over), in Vietnamese and in English alike', () => {
    const unused = [...new Set(keys(vi).map(base))].filter((k) => {
      const parent = k.slice(0, k.lastIndexOf('.') + 1);
      return ![`'${k}'`, `"${k}"`, `\`${k}`, `\`${parent}\${`].some((s) => source.includes(s));
    });
    expect(unused).toEqual([]);
    expect([...new Set(keys(en).map(base))].sort()).toEqual([...new Set(keys(vi).map(base))].sort());
  });
});
