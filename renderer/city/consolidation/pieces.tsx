/**
 * The pieces of the Biểu tổng hợp on screen, one per kind of aggregate of the template's
 * `consolidation` declaration (shared/consolidate.ts). Nothing here names a template's keys.
 */
import { useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { Card, ScrollArea, Table, Text, TextInput, Title } from '@mantine/core';
import { IconSearch } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Consolidation, CountWhereFigure, StatsFigure, StatsRow, TextAnswer } from '../../../shared/consolidate.js';
import type { Lang } from '../../../shared/i18n.js';
import { tx } from '../../../shared/i18n.js';
import { formatNumber, formatRate } from '../../../shared/format.js';
import { evaluate } from '../../../shared/template/compute.js';
import type { Row } from '../../../shared/template/model.js';
import type { Column, TableItem } from '../../../shared/template/schema.js';
import { matchesQuery } from '../../../shared/text.js';
import { unitTypeLabel, unitTypeTitle } from '../../labels.js';
import { headerRows } from '../../editor/SectionForm.js';

export const n0 = (v: unknown) => (typeof v === 'number' ? formatNumber(v, 2) : '—');
export const rate = (v: unknown) => (typeof v === 'number' ? formatRate(v) : '—');

/** A block of the summary: a titled card. */
export function Block({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <Card withBorder padding="sm" data-testid={testId}>
      <Title order={4} size="h5" mb="xs">
        {title}
      </Title>
      {children}
    </Card>
  );
}

/** A small heading inside a block. */
export function Sub({ children }: { children: ReactNode }) {
  return (
    <Text size="sm" fw={600}>
      {children}
    </Text>
  );
}

/** Label / value pairs, numbers right-aligned. */
export function Pairs({ rows, testId }: { rows: { key: string; label: string; value: string }[]; testId?: string }) {
  return (
    <Table withRowBorders={false} verticalSpacing={3} className="pairs" data-testid={testId}>
      <Table.Tbody>
        {rows.map((r) => (
          <Table.Tr key={r.key} data-figure={r.key}>
            <Table.Td>{r.label}</Table.Td>
            <Table.Td ta="right" fw={600} className="num" style={{ whiteSpace: 'nowrap' }}>
              {r.value}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** A distribution as a label / count / share table with a small bar; shares over `total` units. */
export function Distribution({ items, total, testId }: { items: [string, number][]; total: number; testId?: string }) {
  return (
    <Table withRowBorders={false} verticalSpacing={3} className="pairs" data-testid={testId}>
      <Table.Tbody>
        {items.map(([k, v]) => (
          <Table.Tr key={k} data-bucket={k}>
            <Table.Td>{k}</Table.Td>
            <Table.Td ta="right" fw={600} w={70} className="num">
              {formatNumber(v)}
            </Table.Td>
            <Table.Td w={120}>
              <div className="mini-bar" aria-hidden>
                <span style={{ width: `${total ? Math.min(100, (v / total) * 100) : 0}%` }} />
              </div>
            </Table.Td>
            <Table.Td ta="right" w={80} c="dimmed" className="num">
              {formatRate(total ? v / total : 0)}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** Counts by unit type (rows) and column (options, buckets…), with a total row and column. */
export function TypeMatrix({
  types,
  columns,
  count,
  lang,
  testId,
}: {
  types: string[];
  columns: { key: string; label: string }[];
  count: (type: string, column: string) => number;
  lang: Lang;
  testId?: string;
}) {
  const { t } = useTranslation();
  const sumOf = (ty: string) => columns.reduce((a, c) => a + count(ty, c.key), 0);
  return (
    <Table.ScrollContainer minWidth={Math.min(700, 180 + columns.length * 90)}>
      <Table withTableBorder withColumnBorders verticalSpacing={4} className="sum-table" data-testid={testId}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('completeness.type')}</Table.Th>
            {columns.map((c) => (
              <Table.Th key={c.key} ta="right">
                {c.label}
              </Table.Th>
            ))}
            <Table.Th ta="right">{t('consolidation.total')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {types.map((ty) => (
            <Table.Tr key={ty} data-row={ty}>
              <Table.Td>{unitTypeTitle(ty, lang)}</Table.Td>
              {columns.map((c) => (
                <Table.Td key={c.key} ta="right" className="num">
                  {formatNumber(count(ty, c.key))}
                </Table.Td>
              ))}
              <Table.Td ta="right" className="num">
                {formatNumber(sumOf(ty))}
              </Table.Td>
            </Table.Tr>
          ))}
          <Table.Tr className="total-row" data-row="total">
            <Table.Td fw={700}>{t('consolidation.total')}</Table.Td>
            {columns.map((c) => (
              <Table.Td key={c.key} ta="right" fw={700} className="num">
                {formatNumber(types.reduce((a, ty) => a + count(ty, c.key), 0))}
              </Table.Td>
            ))}
            <Table.Td ta="right" fw={700} className="num">
              {formatNumber(types.reduce((a, ty) => a + sumOf(ty), 0))}
            </Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** "N/M đơn vị (x%)": a count of units meeting a condition, of the units it applies to. */
export function ofUnits(t: (k: string, o?: Record<string, unknown>) => string, count: number, of: number): string {
  return t('consolidation.g.ofUnits', { n: formatNumber(count), of: formatNumber(of), share: formatRate(of ? count / of : 0) });
}

/** A countWhere by unit type: a row per type with "N/M đơn vị". */
export function CountWhereTable({ figure, types, lang, testId }: { figure: CountWhereFigure; types: string[]; lang: Lang; testId?: string }) {
  const { t } = useTranslation();
  const rows = [
    ...types.map((ty) => ({ key: ty, label: unitTypeTitle(ty, lang), v: figure.by_type?.[ty] ?? { count: 0, of: 0 } })),
    { key: 'total', label: t('consolidation.total'), v: { count: figure.count, of: figure.of } },
  ];
  return (
    <Table withTableBorder withColumnBorders verticalSpacing={4} className="sum-table" data-testid={testId}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('completeness.type')}</Table.Th>
          <Table.Th ta="right">{t('consolidation.g.count')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((r) => (
          <Table.Tr key={r.key} data-row={r.key} className={r.key === 'total' ? 'total-row' : undefined}>
            <Table.Td fw={r.key === 'total' ? 700 : 400}>{r.label}</Table.Td>
            <Table.Td ta="right" className="num" fw={r.key === 'total' ? 700 : 400}>
              {ofUnits(t, r.v.count, r.v.of)}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** Minimum, maximum and average (by unit type when declared), each with the unit that holds it. */
export function StatsTable({
  figure,
  types,
  unitName,
  unit,
  lang,
  testId,
  rate,
}: {
  figure: StatsFigure;
  types: string[];
  unitName: (code: string | null) => string;
  /** What the numbers are in ("km²", "triệu đồng"), shown after each. */
  unit: string;
  lang: Lang;
  testId?: string;
  /** A rate (a fraction): shown as a percentage, 0,5 → 50,00%. */
  rate?: boolean;
}) {
  const { t } = useTranslation();
  const withUnit = (v: number | null) => (v === null ? '—' : rate ? formatRate(v) : unit ? `${n0(v)} ${unit}` : n0(v));
  const rows: { key: string; label: string; v: StatsRow }[] = [
    ...(figure.by_type ? types.map((ty) => ({ key: ty, label: unitTypeTitle(ty, lang), v: figure.by_type![ty]! })).filter((r) => r.v) : []),
    { key: 'total', label: t('consolidation.total'), v: figure },
  ];
  const at = (v: number | null, code: string | null) => (
    <>
      <span className="num">{withUnit(v)}</span>
      {code && (
        <Text span size="xs" c="dimmed">
          {' '}
          ({unitName(code)})
        </Text>
      )}
    </>
  );
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table withTableBorder withColumnBorders verticalSpacing={4} className="sum-table" data-testid={testId}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('completeness.type')}</Table.Th>
            <Table.Th ta="right">{t('consolidation.g.withValue')}</Table.Th>
            <Table.Th ta="right">{t('consolidation.g.min')}</Table.Th>
            <Table.Th ta="right">{t('consolidation.g.max')}</Table.Th>
            <Table.Th ta="right">{t('consolidation.g.avg')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r) => {
            const total = r.key === 'total';
            return (
              <Table.Tr key={r.key} data-row={r.key} className={total ? 'total-row' : undefined}>
                <Table.Td fw={total ? 700 : 400}>{r.label}</Table.Td>
                <Table.Td ta="right" className="num" fw={total ? 700 : 400}>
                  {formatNumber(r.v.n)}/{formatNumber(r.v.of)}
                </Table.Td>
                <Table.Td ta="right" fw={total ? 700 : 400}>
                  {at(r.v.min, r.v.min_unit)}
                </Table.Td>
                <Table.Td ta="right" fw={total ? 700 : 400}>
                  {at(r.v.max, r.v.max_unit)}
                </Table.Td>
                <Table.Td ta="right" className="num" fw={total ? 700 : 400}>
                  {withUnit(r.v.avg)}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** The narrative answers by unit, in the unit list's order, with a search over unit names and text. */
export function TextsList({ answers, of, lang, testId }: { answers: TextAnswer[]; of: number; lang: Lang; testId?: string }) {
  const { t } = useTranslation();
  const [query, setQuery] = useState('');
  const shown = useMemo(
    () => (query.trim() ? answers.filter((a) => matchesQuery(`${a.name} ${a.code} ${a.text}`, query)) : answers),
    [answers, query],
  );
  return (
    <div data-testid={testId}>
      <Text size="xs" c="dimmed" mb={4} data-testid={testId && `${testId}-count`}>
        {t('consolidation.g.textsCount', { n: formatNumber(answers.length), of: formatNumber(of) })}
      </Text>
      {answers.length > 0 && (
        <TextInput
          size="xs"
          mb={6}
          leftSection={<IconSearch size={14} />}
          placeholder={t('consolidation.g.textsSearch')}
          aria-label={t('consolidation.g.textsSearch')}
          value={query}
          onChange={(e) => setQuery(e.currentTarget.value)}
          maw={420}
        />
      )}
      {answers.length > 0 && !shown.length && (
        <Text size="sm" c="dimmed">
          {t('consolidation.g.textsNoMatch')}
        </Text>
      )}
      {shown.length > 0 && (
        <ScrollArea.Autosize mah={420} type="auto">
          <Table withTableBorder withColumnBorders verticalSpacing={4} className="sum-table texts-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={44}>{t('form.no')}</Table.Th>
                <Table.Th w={210}>{t('completeness.unit')}</Table.Th>
                <Table.Th>{t('consolidation.g.content')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((a) => (
                <Table.Tr key={a.code} data-unit={a.code}>
                  <Table.Td c="dimmed" valign="top">
                    {answers.indexOf(a) + 1}
                  </Table.Td>
                  <Table.Td valign="top">
                    {a.name}
                    <Text size="xs" c="dimmed">
                      {a.code} · {unitTypeLabel(a.type, lang)}
                    </Text>
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'pre-wrap' }}>{a.text}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea.Autosize>
      )}
    </div>
  );
}

/**
 * A summed table of the template (rows × columns with the template's group headers, total row last).
 * Rate columns are evaluated by the template's own expression on the summed row: computed from the
 * sums, never averaged.
 */
export function SummedTable({
  item,
  figures,
  columns,
  lang,
  testId,
  periodYear,
}: {
  item: TableItem;
  figures: Record<string, Record<string, unknown>>;
  columns: Column[];
  lang: Lang;
  testId: string;
  periodYear: number;
}) {
  const rows = [...item.rows, ...(item.totalRow ? [item.totalRow] : [])].filter((r) => figures[r.key]);
  const cell = (row: Record<string, unknown>, c: Column) => {
    if (c.type !== 'rate' || !c.expr) return n0(row[c.key]);
    const v = evaluate(c.expr, { view: {}, row: row as Row, periodYear });
    return typeof v === 'number' ? formatRate(v) : '—';
  };
  return (
    <div className="table-wrap">
      <table className="grid sum-grid" data-testid={testId}>
        <thead>{headerRows(columns, item.groups, lang, [tx(item.rowHeader, lang)])}</thead>
        <tbody>
          {rows.map((r) => {
            const total = item.totalRow?.key === r.key;
            return (
              <tr key={r.key} className={total ? 'total-row' : undefined} data-row={r.key}>
                <th scope="row" className="row-head">
                  {tx(r.label, lang)}
                </th>
                {columns.map((c) => (
                  <td key={c.key} className="num">
                    {cell(figures[r.key]!, c)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The unit names of a consolidation by code (for "lớn nhất 55,7 km² (Xã …)"). */
export function unitNames(c: Pick<Consolidation, 'rows'>): (code: string | null) => string {
  const names = new Map(c.rows.map((r) => [r.code, r.name]));
  return (code) => (code ? (names.get(code) ?? code) : '');
}
