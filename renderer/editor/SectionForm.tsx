import { Fragment, memo } from 'react';
import { ActionIcon, Button, Group, Text, Tooltip } from '@mantine/core';
import { DateInput } from '@mantine/dates';
import {
  IconAlertCircle,
  IconAlertTriangle,
  IconArrowDown,
  IconArrowUp,
  IconPlus,
  IconTrash,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Lang } from '../../shared/i18n.js';
import { tx } from '../../shared/i18n.js';
import { formatDate, parseDate } from '../../shared/format.js';
import type { Issue } from '../../shared/template/rules.js';
import type { Column, ComputedItem, FieldItem, RepeatItem, Section, TableItem } from '../../shared/template/schema.js';
import type { Row } from '../../shared/template/model.js';
import { evaluate } from '../../shared/template/compute.js';
import { cleanText } from '../../shared/text.js';
import { isApplicable } from '../../shared/template/applies.js';
import type { Values } from '../../shared/template/model.js';
import { Cell, cellId, type Severity } from './cells.js';
import type { IssueIndex } from './issueIndex.js';
import { showValue } from './display.js';
import { ShownFile } from './AttachmentCell.js';

/** What the section form needs to know about issues (renderer/editor/issueIndex.ts builds it). */
export type { IssueIndex };

export interface SectionFormProps {
  section: Section;
  lang: Lang;
  values: Record<string, unknown>;
  view: Values;
  periodYear: number;
  issues: IssueIndex;
  explanations: Record<string, string>;
  asOf: string | undefined;
  window: { start: string; end: string };
  onCell: (path: string, value: unknown) => void;
  onBlur: (path: string) => void;
  onExplain: (id: string, text: string) => void;
  onAsOf: (section: string, iso: string | null) => void;
  onRows: (path: string, rows: Row[], focus?: { row: number; what: 'first' | 'up' | 'down' }) => void;
  onRemoveRow: (path: string, index: number) => void;
  /** Read-only (the city's review): values shown as text, no row actions, explanations as text. */
  readOnly?: boolean;
  /**
   * The sections and items that do not apply to the unit (shared/template/applies.ts notApplicable):
   * hidden; a section that does not apply says so in one line. Absent: everything applies.
   */
  skipped?: Set<string>;
  /** The unit's name, for the line that says what does not apply to it. */
  unitName?: string;
  /** The return, for attaching files. */
  returnId?: number;
}

const noop = () => undefined;
const NONE: Set<string> = new Set();
/** The callbacks of a read-only form: nothing can change. */
export const READ_ONLY_HANDLERS = {
  onCell: noop,
  onBlur: noop,
  onExplain: noop,
  onAsOf: noop,
  onRows: noop,
  onRemoveRow: noop,
} satisfies Pick<SectionFormProps, 'onCell' | 'onBlur' | 'onExplain' | 'onAsOf' | 'onRows' | 'onRemoveRow'>;

export const IssueNotes = memo(function IssueNotes({
  issues,
  explanations,
  onExplain,
  readOnly,
}: {
  issues: Issue[];
  explanations: Record<string, string>;
  onExplain: (id: string, text: string) => void;
  readOnly?: boolean;
}) {
  const { t } = useTranslation();
  if (!issues.length) return null;
  return (
    <div className="issue-notes">
      {issues.map((i) => (
        <div key={i.id} className={`issue issue-${i.severity}`} data-issue={i.id} data-severity={i.severity}>
          <div className="issue-msg">
            {i.severity === 'error' ? (
              <IconAlertCircle size={16} aria-hidden />
            ) : (
              <IconAlertTriangle size={16} aria-hidden />
            )}
            <span>
              <b>{i.severity === 'error' ? t('issues.error') : t('issues.warning')}:</b> {i.message}
            </span>
          </div>
          {i.severity === 'warning' && readOnly && (
            <div className="explain explain-readonly" data-explanation={i.id}>
              <span>{t('issues.explainLabel')}</span>
              <span className={explanations[i.id]?.trim() ? 'explained' : 'unexplained'}>
                {explanations[i.id]?.trim() || t('issues.noExplanation')}
              </span>
            </div>
          )}
          {i.severity === 'warning' && !readOnly && (
            <label className="explain">
              <span>{t('issues.explainLabel')}</span>
              <textarea
                data-explain={i.id}
                rows={2}
                maxLength={2000}
                value={explanations[i.id] ?? ''}
                placeholder={t('issues.explainPlaceholder')}
                className={explanations[i.id]?.trim() ? 'explained' : 'unexplained'}
                onChange={(e) => onExplain(i.id, cleanText(e.target.value))}
              />
            </label>
          )}
        </div>
      ))}
    </div>
  );
});

/** Issue notes with the form's explanations and read-only mode. */
function FormNotes({ issues, p }: { issues: Issue[]; p: SectionFormProps }) {
  return (
    <IssueNotes issues={issues} explanations={p.explanations} onExplain={p.onExplain} readOnly={p.readOnly} />
  );
}

/**
 * The issues of one table or repeat row, each under the cell it names (issue 7): a row under the
 * table row whose note starts at that cell's column (or, near the right edge, ends under it).
 * Issues about the row as a whole span the row. Nothing when there are none.
 */
function RowNotes({
  issues,
  colSpan,
  lead,
  columns,
  rowPath,
  p,
}: {
  issues: Issue[];
  colSpan: number;
  /** Columns before the first cell column (the row's name or number). */
  lead: number;
  columns: Column[];
  rowPath: string;
  p: SectionFormProps;
}) {
  if (!issues.length) return null;
  const at = (i: Issue) => columns.findIndex((c) => `${rowPath}.${c.key}` === i.cell);
  const groups = new Map<number, Issue[]>();
  for (const i of issues) groups.set(at(i), [...(groups.get(at(i)) ?? []), i]);
  return (
    <>
      {[...groups.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([col, list]) => {
          const cell = col >= 0 ? `${rowPath}.${columns[col]!.key}` : undefined;
          const start = col >= 0 ? lead + col : 0;
          // Room for a readable note: at least three columns from the cell to the edge; else end under the cell.
          const fromCell = colSpan - start >= 3;
          const pad = col < 0 ? 0 : fromCell ? start : 0;
          const span = col < 0 ? colSpan : fromCell ? colSpan - start : start + 1;
          return (
            <tr key={col} className="issue-tr" data-issue-row={rowPath}>
              {pad > 0 && <td colSpan={pad} className="issue-pad" />}
              <td colSpan={span} data-issue-at={cell} className={cell ? (fromCell ? 'issue-under-cell' : 'issue-ends-under-cell') : undefined}>
                <FormNotes issues={list} p={p} />
              </td>
            </tr>
          );
        })}
    </>
  );
}

interface FieldRowProps {
  sk: string;
  item: FieldItem | ComputedItem;
  p: SectionFormProps;
  /** The field's value, its computed value, its issues and their severity: what the row draws. */
  value: unknown;
  computed: unknown;
  issues: Issue[];
  sev: Severity;
}

/** One field of a biểu, drawn again only when its value, computed value or issues change (issue 8, speed). */
const FieldRow = memo(
  function FieldRow({ sk, item, p, value, computed, issues, sev }: FieldRowProps) {
  const { t } = useTranslation();
  const path = `${sk}.${item.key}`;
  const label = tx(item.label, p.lang);
  const notes = <FormNotes issues={issues} p={p} />;
  if (item.kind === 'computed') {
    const v = computed;
    return (
      <div className="field-row computed-row">
        <div className="field-label">
          {label} <span className="auto-tag">{t('form.auto')}</span>
        </div>
        <div className="field-control">
          <div
            className={`computed-value ${item.type === 'integer' || item.type === 'decimal' ? 'num' : ''} ${item.rateOf ? 'with-rate-of' : ''}`}
            data-computed={path}
          >
            {showValue(v, item, p.lang) || '—'}
            {item.rateOf && (
              <span className="rate-of" data-rate-of={path}>
                {tx(item.rateOf, p.lang)}
              </span>
            )}
          </div>
          {item.hint && <div className="cell-hint">{tx(item.hint, p.lang)}</div>}
          {notes}
        </div>
      </div>
    );
  }
  return (
    <div className={`field-row ${item.type === 'longtext' ? 'field-row-longtext' : ''}`} data-nav-cell={path}>
      <label className="field-label" htmlFor={cellId(path)}>
        {label}
        {item.required && (
          <span className="req" aria-hidden>
            {' '}
            *
          </span>
        )}
      </label>
      <div className="field-control">
        {p.readOnly ? (
          <div className={`readonly-value ${item.type === 'longtext' ? 'longtext' : ''}`} data-value={path} id={cellId(path)}>
            {item.type === 'file' ? <ShownFile value={value} label={label} /> : showValue(value, item, p.lang) || '—'}
          </div>
        ) : (
          <Cell
            path={path}
            spec={item}
            value={value}
            onChange={p.onCell}
            onBlur={p.onBlur}
            severity={sev}
            lang={p.lang}
            label={label}
            variant="field"
            returnId={p.returnId}
          />
        )}
        {item.hint && (
          <div className="cell-hint" data-hint={path}>
            {tx(item.hint, p.lang)}
          </div>
        )}
        {notes}
      </div>
    </div>
  );
},
  (a, b) =>
    a.sk === b.sk &&
    a.item === b.item &&
    Object.is(a.value, b.value) &&
    Object.is(a.computed, b.computed) &&
    a.sev === b.sev &&
    sameIssues(a.issues, b.issues) &&
    sameFormBits(a.p, b.p),
);

export function headerRows(
  columns: Column[],
  groups: TableItem['groups'],
  lang: Lang,
  lead: React.ReactNode[],
  trail: React.ReactNode[] = [],
  hints = false,
) {
  const groupOf = (c: Column) => groups?.find((g) => g.columns.includes(c.key));
  const two = !!groups?.length;
  const first: React.ReactNode[] = [
    ...lead.map((n, i) => (
      <th key={`l${i}`} rowSpan={two ? 2 : 1} className="row-head-th">
        {n}
      </th>
    )),
  ];
  const second: React.ReactNode[] = [];
  const seen = new Set<object>();
  for (const c of columns) {
    const g = groupOf(c);
    const thClass = c.expr ? 'computed-th' : undefined;
    // What a rate is of, and (on screen) a column's hint, in small text under its heading.
    const note = c.rateOf ?? (hints ? c.hint : undefined);
    const head = (
      <>
        {tx(c.label, lang)}
        {note && <span className="th-hint">{tx(note, lang)}</span>}
      </>
    );
    if (!g)
      first.push(
        <th key={c.key} rowSpan={two ? 2 : 1} className={thClass}>
          {head}
        </th>,
      );
    else {
      if (!seen.has(g)) {
        seen.add(g);
        first.push(
          <th key={`g-${c.key}`} colSpan={columns.filter((x) => g.columns.includes(x.key)).length} className="group-th">
            {tx(g.label, lang)}
          </th>,
        );
      }
      second.push(
        <th key={c.key} className={thClass}>
          {head}
        </th>,
      );
    }
  }
  trail.forEach((n, i) =>
    first.push(
      <th key={`t${i}`} rowSpan={two ? 2 : 1}>
        {n}
      </th>,
    ),
  );
  return (
    <>
      <tr>{first}</tr>
      {two && <tr>{second}</tr>}
    </>
  );
}

/** Whether two lists of issues say the same (the form's index rebuilds its lists on every change). */
function sameIssues(a: Issue[], b: Issue[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x.id === b[i]!.id && x.message === b[i]!.message && x.severity === b[i]!.severity));
}
/** Whether two table rows hold the same cells (computeView makes new row objects on every change). */
function sameRow(a: Row | undefined, b: Row | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.is(a[k], b[k]));
}
/** What of the form's props a row reads besides its own values: when these are the same, so is the row. */
function sameFormBits(a: SectionFormProps, b: SectionFormProps): boolean {
  return (
    a.lang === b.lang &&
    a.readOnly === b.readOnly &&
    a.explanations === b.explanations &&
    a.onCell === b.onCell &&
    a.onBlur === b.onBlur &&
    a.onExplain === b.onExplain &&
    a.returnId === b.returnId
  );
}

interface TableRowProps {
  base: string;
  r: { key: string; label: TableItem['rows'][number]['label'] };
  total: boolean;
  ri: number;
  item: TableItem;
  p: SectionFormProps;
  rowValues: Row | undefined;
  viewRow: Row | undefined;
  notes: Issue[];
  /** The severity of each column's cell, joined by commas (a string compares cheaply). */
  sevs: string;
}

/**
 * One row of a fixed table, drawn again only when its own cells, computed values, issues or the
 * form's language/handlers change: a keystroke redraws one row, not the table (issue 8, speed).
 */
const TableRowView = memo(
  function TableRowView({ base, r, total, ri, item, p, rowValues, viewRow, notes, sevs }: TableRowProps) {
    const rowPath = `${base}.${r.key}`;
    const ncols = item.columns.length + 1;
    const sevList = sevs.split(',');
    return (
      <Fragment>
        <tr className={total ? 'total-row' : undefined}>
          <th scope="row" className="row-head">
            {tx(r.label, p.lang)}
          </th>
          {item.columns.map((c, ci) => {
            const path = `${rowPath}.${c.key}`;
            const sev = (sevList[ci] || undefined) as Severity;
            if (c.expr || total)
              return (
                <td key={c.key} className={`computed num ${sev ? `has-${sev}` : ''}`} data-computed={path}>
                  {showValue(viewRow?.[c.key], c, p.lang)}
                </td>
              );
            const label = `${tx(r.label, p.lang)} — ${tx(c.label, p.lang)}`;
            if (p.readOnly)
              return (
                <td
                  key={c.key}
                  // Figures to the right, words to the left, as in the editor (names and titles were right-aligned here).
                  className={`readonly-td ${c.type === 'integer' || c.type === 'decimal' || c.type === 'money' || c.type === 'rate' ? 'num' : ''} ${c.type === 'longtext' ? 'longtext' : ''} ${sev ? `has-${sev}` : ''}`}
                  data-value={path}
                >
                  {c.type === 'file' ? <ShownFile value={rowValues?.[c.key]} label={label} /> : showValue(rowValues?.[c.key], c, p.lang)}
                </td>
              );
            return (
              <td key={c.key} data-nav-cell={path} className="input-td">
                <Cell
                  path={path}
                  spec={c}
                  value={rowValues?.[c.key]}
                  onChange={p.onCell}
                  onBlur={p.onBlur}
                  severity={sev}
                  lang={p.lang}
                  label={label}
                  variant="grid"
                  grid={{ table: base, row: ri, col: c.key }}
                  returnId={p.returnId}
                />
              </td>
            );
          })}
        </tr>
        <RowNotes issues={notes} colSpan={ncols} lead={1} columns={item.columns} rowPath={rowPath} p={p} />
      </Fragment>
    );
  },
  (a, b) =>
    a.base === b.base &&
    a.r.key === b.r.key &&
    a.r.label === b.r.label &&
    a.total === b.total &&
    a.ri === b.ri &&
    a.item === b.item &&
    a.sevs === b.sevs &&
    sameRow(a.rowValues, b.rowValues) &&
    sameRow(a.viewRow, b.viewRow) &&
    sameIssues(a.notes, b.notes) &&
    sameFormBits(a.p, b.p),
);

function TableBlock({ sk, item, p }: { sk: string; item: TableItem; p: SectionFormProps }) {
  const { t } = useTranslation();
  const base = `${sk}.${item.key}`;
  const tv = (p.values[item.key] ?? {}) as Record<string, Row | undefined>;
  const vv = (p.view[sk]?.[item.key] ?? {}) as Record<string, Row | undefined>;
  const rows = [
    ...item.rows.map((r) => ({ ...r, total: false })),
    ...(item.totalRow ? [{ ...item.totalRow, total: true }] : []),
  ];
  return (
    <section className="block" aria-label={tx(item.label, p.lang)}>
      <h3 className="block-title">{tx(item.label, p.lang)}</h3>
      <div className="table-wrap">
        <table className={`grid grid-${item.key}`} data-table={base}>
          <thead>{headerRows(item.columns, item.groups, p.lang, [tx(item.rowHeader, p.lang)], [], true)}</thead>
          <tbody>
            {rows.map((r, ri) => {
              const rowPath = `${base}.${r.key}`;
              return (
                <TableRowView
                  key={r.key}
                  base={base}
                  r={r}
                  total={r.total}
                  ri={ri}
                  item={item}
                  p={p}
                  rowValues={tv[r.key]}
                  viewRow={vv[r.key]}
                  notes={p.issues.row(rowPath)}
                  sevs={item.columns.map((c) => p.issues.severity(`${rowPath}.${c.key}`) ?? '').join(',')}
                />
              );
            })}
          </tbody>
        </table>
      </div>
      {!p.readOnly && (
        <Text size="xs" c="dimmed" mt={4}>
          {t('form.computedLegend')}
        </Text>
      )}
      <FormNotes issues={p.issues.at(base)} p={p} />
    </section>
  );
}

function RepeatBlock({ sk, item, p }: { sk: string; item: RepeatItem; p: SectionFormProps }) {
  const { t } = useTranslation();
  const base = `${sk}.${item.key}`;
  const rows = (Array.isArray(p.values[item.key]) ? p.values[item.key] : []) as Row[];
  const rowLabel = tx(item.rowLabel, p.lang);
  const ncols = item.columns.length + (p.readOnly ? 1 : 2);
  const add = () => p.onRows(base, [...rows, {}], { row: rows.length, what: 'first' });
  const move = (i: number, d: -1 | 1) => {
    const next = [...rows];
    const [x] = next.splice(i, 1);
    next.splice(i + d, 0, x!);
    p.onRows(base, next, { row: i + d, what: d < 0 ? 'up' : 'down' });
  };
  return (
    <section className="block" aria-label={tx(item.label, p.lang)}>
      <h3 className="block-title">{tx(item.label, p.lang)}</h3>
      <div className="table-wrap">
        <table className={`grid grid-repeat grid-${item.key}`} data-table={base}>
          <thead>
            {headerRows(item.columns, undefined, p.lang, [t('form.no')], p.readOnly ? [] : [t('form.rowActions')], true)}
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={ncols} className="empty-row">
                  {p.readOnly
                    ? t('form.noRowsReadOnly', { what: rowLabel.toLowerCase() })
                    : t('form.noRows', { what: rowLabel.toLowerCase() })}
                </td>
              </tr>
            )}
            {rows.map((row, i) => {
              const rowPath = `${base}.${i}`;
              const notes = p.issues.row(rowPath);
              return (
                <Fragment key={i}>
                  <tr>
                    <td className="row-no">{i + 1}</td>
                    {item.columns.map((c) => {
                      const path = `${rowPath}.${c.key}`;
                      if (c.expr)
                        return (
                          <td key={c.key} className="computed num" data-computed={path}>
                            {showValue(evaluate(c.expr, { view: p.view, row, periodYear: p.periodYear }), c, p.lang)}
                          </td>
                        );
                      if (p.readOnly)
                        return (
                          <td
                            key={c.key}
                            className={`readonly-td ${c.type === 'integer' || c.type === 'decimal' || c.type === 'money' ? 'num' : ''} ${c.type === 'longtext' ? 'longtext' : ''}`}
                            data-value={path}
                          >
                            {c.type === 'file' ? <ShownFile value={row?.[c.key]} label={tx(c.label, p.lang)} /> : showValue(row?.[c.key], c, p.lang)}
                          </td>
                        );
                      return (
                        <td
                          key={c.key}
                          data-nav-cell={path}
                          className="input-td"
                          style={c.width ? { minWidth: `${Math.round(c.width * 0.62)}em` } : undefined}
                        >
                          <Cell
                            path={path}
                            spec={c}
                            value={row?.[c.key]}
                            onChange={p.onCell}
                            onBlur={p.onBlur}
                            severity={p.issues.severity(path)}
                            lang={p.lang}
                            label={`${rowLabel} ${i + 1} — ${tx(c.label, p.lang)}`}
                            variant="grid"
                            grid={{ table: base, row: i, col: c.key }}
                            returnId={p.returnId}
                          />
                        </td>
                      );
                    })}
                    {!p.readOnly && (
                      <td className="row-actions">
                        <Group gap={2} wrap="nowrap">
                          <Tooltip label={t('form.moveUp')}>
                            <ActionIcon
                              variant="subtle"
                              size="sm"
                              disabled={i === 0}
                              onClick={() => move(i, -1)}
                              aria-label={`${t('form.moveUp')}: ${rowLabel} ${i + 1}`}
                              data-row-action={`${rowPath}.up`}
                            >
                              <IconArrowUp size={15} />
                            </ActionIcon>
                          </Tooltip>
                          <Tooltip label={t('form.moveDown')}>
                            <ActionIcon
                              variant="subtle"
                              size="sm"
                              disabled={i === rows.length - 1}
                              onClick={() => move(i, 1)}
                              aria-label={`${t('form.moveDown')}: ${rowLabel} ${i + 1}`}
                              data-row-action={`${rowPath}.down`}
                            >
                              <IconArrowDown size={15} />
                            </ActionIcon>
                          </Tooltip>
                          <Tooltip label={t('form.removeRow')}>
                            <ActionIcon
                              variant="subtle"
                              color="red"
                              size="sm"
                              onClick={() => p.onRemoveRow(base, i)}
                              aria-label={`${t('form.removeRow')}: ${rowLabel} ${i + 1}`}
                              data-row-action={`${rowPath}.remove`}
                            >
                              <IconTrash size={15} />
                            </ActionIcon>
                          </Tooltip>
                        </Group>
                      </td>
                    )}
                  </tr>
                  <RowNotes issues={notes} colSpan={ncols} lead={1} columns={item.columns} rowPath={rowPath} p={p} />
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
      {!p.readOnly && (
        <Group mt="xs" gap="sm" data-nav-cell={`${base}.add`}>
          <Button
            size="xs"
            variant="light"
            leftSection={<IconPlus size={14} />}
            onClick={add}
            disabled={rows.length >= item.maxRows}
            data-cell={base}
            data-add-row={base}
          >
            {t('form.addRow', { what: rowLabel.toLowerCase() })}
          </Button>
          <Text size="xs" c="dimmed">
            {t('form.maxRows', { n: item.maxRows })}
          </Text>
        </Group>
      )}
      <FormNotes issues={p.issues.at(base)} p={p} />
    </section>
  );
}

/** One biểu, drawn from the template: its as-of date, fields, tables and repeating tables. */
export function SectionForm(p: SectionFormProps) {
  const { t } = useTranslation();
  const sk = p.section.key;
  const blocks: React.ReactNode[] = [];
  let fields: (FieldItem | ComputedItem)[] = [];
  const flush = () => {
    if (!fields.length) return;
    const list = fields;
    fields = [];
    blocks.push(
      <div className="field-list" key={`f-${list[0]!.key}`}>
        {list.map((it) => (
          <FieldRow
            key={it.key}
            sk={sk}
            item={it}
            p={p}
            value={p.values[it.key]}
            computed={p.view[sk]?.[it.key]}
            issues={p.issues.at(`${sk}.${it.key}`)}
            sev={p.issues.severity(`${sk}.${it.key}`)}
          />
        ))}
      </div>,
    );
  };
  const skipped = p.skipped ?? NONE;
  const unit = p.unitName ?? t('form.thisUnit');
  if (!isApplicable(skipped, sk))
    return (
      <div className="section-form" data-section={sk} data-not-applicable="true">
        <p className="not-applicable-note" data-not-applicable-note={sk}>
          {t('form.notApplicableSection', { unit })}
        </p>
      </div>
    );
  let hidden = 0;
  for (const item of p.section.items) {
    if (!isApplicable(skipped, `${sk}.${item.key}`)) {
      hidden++;
      continue;
    }
    if (item.kind === 'field' || item.kind === 'computed') fields.push(item);
    else {
      flush();
      blocks.push(
        item.kind === 'table' ? (
          <TableBlock key={item.key} sk={sk} item={item} p={p} />
        ) : (
          <RepeatBlock key={item.key} sk={sk} item={item} p={p} />
        ),
      );
    }
  }
  flush();
  const asOfIssues = p.issues.at(`asof:${sk}`);
  return (
    <div className="section-form" data-section={sk}>
      <div className="asof-row">
        <DateInput
          label={t('form.asOf')}
          value={p.asOf ?? null}
          onChange={(v) => p.onAsOf(sk, v)}
          valueFormat="DD/MM/YYYY"
          dateParser={(s) => parseDate(s)}
          placeholder="dd/mm/yyyy"
          size="xs"
          w={170}
          readOnly={p.readOnly}
          data-cell={`asof:${sk}`}
          error={asOfIssues.some((i) => i.severity === 'error') || undefined}
          aria-label={`${p.section.code}: ${t('form.asOf')}`}
        />
        <Text size="xs" c="dimmed">
          {t('form.window', { start: formatDate(p.window.start), end: formatDate(p.window.end) })}
        </Text>
      </div>
      <FormNotes issues={asOfIssues} p={p} />
      {hidden > 0 && (
        <p className="not-applicable-note" data-not-applicable-note={sk}>
          {t('form.notApplicableItems', { count: hidden, unit })}
        </p>
      )}
      {blocks}
    </div>
  );
}
