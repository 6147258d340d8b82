import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { Alert, Badge, Button, Group, Loader, Pagination, SegmentedControl, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { IconAlertTriangle, IconDownload, IconSearch } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Consolidation, ConsolidationRow, CountWhereFigure, DeclaredAggregate, StatsFigure } from '../../shared/consolidate.js';
import { aggregateLabel, bucketName, moneyUnitLabel, olderVersionRows, returnedWithoutFigures, textAnswers, unitTypes } from '../../shared/consolidate.js';
import type { Lang } from '../../shared/i18n.js';
import { tx } from '../../shared/i18n.js';
import { formatNumber, formatRate } from '../../shared/format.js';
import { parsePeriod, periodLabel } from '../../shared/periods.js';
import { getPath } from '../../shared/template/model.js';
import type { Template } from '../../shared/template/schema.js';
import { matchesQuery } from '../../shared/text.js';
import { RetryAlert } from '../RetryAlert.js';
import { exportFile } from '../exportFile.js';
import { api, messageOf } from '../api.js';
import { unitTypeLabel, unitTypeTitle } from '../labels.js';
import { StateBadge } from './Completeness.js';
import { PeriodListNotice } from './PeriodListNotice.js';
import type { Piece, UnitColPlan } from './consolidation/plan.js';
import { isNarrow, planBlocks, unitColumns } from './consolidation/plan.js';
import {
  Block,
  CountWhereTable,
  Distribution,
  Pairs,
  StatsTable,
  Sub,
  SummedTable,
  TextsList,
  TypeMatrix,
  n0,
  ofUnits,
  rate,
  unitNames,
} from './consolidation/pieces.js';

const PAGE = 50;
const at = (f: unknown, path: string): unknown => getPath(f, path);
type T = (k: string, o?: Record<string, unknown>) => string;

/** The label of an aggregate with the unit of its money ("Dự toán được giao (triệu đồng)"). */
function labelWithUnit(tpl: Template, a: DeclaredAggregate, lang: Lang): string {
  const label = aggregateLabel(tpl, a, lang);
  const item = a.item.kind === 'table' ? a.item.columns.find((c) => c.key === a.source.split('.')[3]) : a.item;
  const unit = item && 'type' in item ? moneyUnitLabel(item, lang) : '';
  return unit ? `${label} (${unit})` : label;
}

const lower = (s: string) => s.charAt(0).toLocaleLowerCase('vi') + s.slice(1);

/** The label of a single figure of a block's list. */
function pairLabel(tpl: Template, a: DeclaredAggregate, lang: Lang, t: T): string {
  if (a.spec.label) return labelWithUnit(tpl, a, lang);
  if (a.kind === 'countTrue') return t('consolidation.g.countTrue', { label: lower(aggregateLabel(tpl, a, lang)) });
  if (a.kind === 'countRows' && a.item.kind === 'repeat')
    return t('consolidation.g.countRows', { row: lower(tx(a.item.rowLabel, lang)), label: lower(tx(a.item.label, lang)) });
  if (a.kind === 'countWhere') {
    const spec = a.spec as { op: string; value: unknown };
    return t('consolidation.g.countWhere', { label: lower(aggregateLabel(tpl, a, lang)), op: spec.op, value: String(spec.value) });
  }
  return labelWithUnit(tpl, a, lang);
}

/** The Biểu tổng hợp of a period on screen, and as a workbook. */
export function ConsolidationView({
  template: tpl,
  period,
  lang,
  source,
}: {
  template: Template;
  period: string;
  lang: Lang;
  /** Where the figures and their workbook come from when not the period's (a request's, issue 9). */
  source?: { load: () => Promise<unknown>; export: () => Promise<{ fileName: string; data: string }> };
}) {
  const { t } = useTranslation();
  const [c, setC] = useState<(Consolidation & { unitListVersion?: string; currentUnitListVersion?: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const sheets = useMemo(() => tpl.sections.filter((s) => unitColumns(tpl, s.key).length > 0), [tpl]);
  const [sheet, setSheet] = useState<string>(sheets[0]?.key ?? '');
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(1);

  const load = useCallback(() => {
    (source ? source.load() : api.call('city.consolidation', { template: tpl.id, period }))
      .then((r) => setC(r as Consolidation))
      .catch((e) => setError(messageOf(e)));
  }, [tpl.id, period, source]);
  useEffect(load, [load]);

  const doExport = async () => {
    setExporting(true);
    await exportFile(t, () => (source ? source.export() : api.call('city.consolidation.export', { template: tpl.id, period })));
    setExporting(false);
  };

  const year = parsePeriod(period)?.year ?? 0;
  const blocks = useMemo(() => planBlocks(tpl, lang), [tpl, lang]);
  const current = sheets.find((s) => s.key === sheet) ?? sheets[0];
  const cols = useMemo(() => (current ? unitColumns(tpl, current.key) : []), [tpl, current]);

  const filteredRows = useMemo<ConsolidationRow[]>(
    () => (c ? c.rows.filter((r) => !query.trim() || matchesQuery(`${r.name} ${r.code}`, query)) : []),
    [c, query],
  );

  if (error)
    return (
      <RetryAlert
        message={error}
        onRetry={() => {
          setError(null);
          load();
        }}
      />
    );
  if (!c) return <Loader size="sm" />;

  const u = c.units;
  const types = unitTypes(c.rows.map((r) => ({ code: r.code, name: r.name, type: r.type }))).filter(
    (ty) => (u.completeness_by_type[ty]?.expected ?? 0) > 0,
  );
  // Issue 7 item 9: a returned report is submitted, but a returned revision's figures are not added;
  // the figures (and their shares) are over the units whose figures count.
  const withoutFigures = returnedWithoutFigures(c);
  const submitted = u.submitted - withoutFigures.length;
  /** The units an aggregate is counted over: those whose figures count and to which its item applies. */
  const ofFor = (a: DeclaredAggregate) => u.versioned?.[a.figure]?.n ?? u.applicable?.[a.figure] ?? submitted;
  // Versions mixed in the period: a figure some units' version does not have says what it is over.
  const older = olderVersionRows(c);
  const olderList = [...new Set(older.map((r) => r.templateVersion!))]
    .sort((x, y) => x - y)
    .map((v) => t('consolidation.g.olderVersionList', { v, names: older.filter((r) => r.templateVersion === v).map((r) => r.name).join(', ') }))
    .join('; ');
  const vlabel = (a: DeclaredAggregate, label: string): string => {
    const v = u.versioned?.[a.figure];
    if (!v) return label;
    const over = t(v.since < c.templateVersion ? 'consolidation.g.versionedOverSince' : 'consolidation.g.versionedOver', { n: formatNumber(v.n), v: v.since });
    return `${label} (${over})`;
  };
  const nameOf = unitNames(c);
  const pages = Math.max(1, Math.ceil(filteredRows.length / PAGE));
  const pg = Math.min(page, pages);

  const pairValue = (a: DeclaredAggregate): string => {
    const v = at(c, a.figure);
    if (a.kind === 'fromSums') return rate(v);
    if (a.kind === 'countTrue') return ofUnits(t, typeof v === 'number' ? v : 0, ofFor(a));
    if (a.kind === 'countWhere') {
      const f = v as CountWhereFigure | undefined;
      return ofUnits(t, f?.count ?? 0, f?.of ?? 0);
    }
    return n0(v);
  };

  const renderPiece = (p: Piece, blockKey: string, i: number): ReactNode => {
    const key = `${blockKey}-${i}`;
    if (p.kind === 'pairs')
      return (
        <Pairs
          key={key}
          testId={`cons-${blockKey}-list${i ? `-${i}` : ''}`}
          rows={p.aggs.map((a) => ({ key: a.figure, label: vlabel(a, pairLabel(tpl, a, lang, t)), value: pairValue(a) }))}
        />
      );
    const a = p.agg;
    const testId = `cons-${a.figure.replace(/\./g, '-')}`;
    const title = vlabel(a, labelWithUnit(tpl, a, lang));
    if (p.kind === 'table') {
      const figures = { ...((at(c, a.figure) ?? {}) as Record<string, Record<string, unknown>>) };
      for (const r of p.rowSums) figures[r.source.split('.')[2]!] = (at(c, r.figure) ?? {}) as Record<string, unknown>;
      const hasRates = p.columns.some((col) => col.type === 'rate');
      return (
        <Stack key={key} gap={4}>
          <Sub>{title}</Sub>
          <SummedTable item={p.item} figures={figures} columns={p.columns} lang={lang} testId={testId} periodYear={year} />
          {hasRates && (
            <Badge variant="light" size="sm" style={{ alignSelf: 'flex-start' }}>
              {t('consolidation.g.ratesFromSums')}
            </Badge>
          )}
        </Stack>
      );
    }
    if (p.kind === 'countBy') {
      const options = ('options' in a.item ? a.item.options : undefined) ?? [];
      const cols = options.map((o) => ({ key: o.value, label: tx(o.label, lang) }));
      const byType = (a.spec as { byUnitType?: boolean }).byUnitType;
      return (
        <Stack key={key} gap={4}>
          <Sub>{t('consolidation.g.ofTotal', { title: t('consolidation.g.byOption', { label: lower(title) }), of: formatNumber(ofFor(a)) })}</Sub>
          {byType ? (
            <TypeMatrix
              types={types}
              columns={cols}
              count={(ty, o) => Number(at(c, `${a.figure}.${ty}.${o}`) ?? 0)}
              lang={lang}
              testId={testId}
            />
          ) : (
            <Distribution testId={testId} items={cols.map((o) => [o.label, Number(at(c, `${a.figure}.${o.key}`) ?? 0)])} total={ofFor(a)} />
          )}
        </Stack>
      );
    }
    if (p.kind === 'distribution') {
      const spec = a.spec as { buckets: string[]; bucketLabels?: { vi: string; en?: string }[] };
      const buckets = spec.buckets;
      return (
        <Stack key={key} gap={4}>
          <Sub>{t('consolidation.g.ofTotal', { title: t('consolidation.g.byOption', { label: lower(title) }), of: formatNumber(ofFor(a)) })}</Sub>
          <Distribution
            testId={testId}
            items={buckets.map((b) => [
              spec.bucketLabels ? bucketName(spec, b, lang) : b.startsWith('>') ? `${t('consolidation.moreThan')}${b.slice(1)}` : b,
              Number(at(c, `${a.figure}.${b}`) ?? 0),
            ])}
            total={ofFor(a)}
          />
        </Stack>
      );
    }
    if (p.kind === 'countWhereByType')
      return (
        <Stack key={key} gap={4}>
          <Sub>{vlabel(a, pairLabel(tpl, a, lang, t))}</Sub>
          <CountWhereTable figure={(at(c, a.figure) ?? { count: 0, of: 0 }) as CountWhereFigure} types={types} lang={lang} testId={testId} />
        </Stack>
      );
    if (p.kind === 'stats') {
      const item = a.item.kind === 'field' || a.item.kind === 'computed' ? a.item : undefined;
      return (
        <Stack key={key} gap={4}>
          <Sub>{vlabel(a, t('consolidation.g.stats', { label: aggregateLabel(tpl, a, lang) }))}</Sub>
          <StatsTable
            figure={(at(c, a.figure) ?? { n: 0, of: 0, min: null, max: null, avg: null, min_unit: null, max_unit: null }) as StatsFigure}
            types={types}
            unitName={nameOf}
            unit={item ? moneyUnitLabel(item, lang) : ''}
            rate={item?.type === 'rate'}
            lang={lang}
            testId={testId}
          />
        </Stack>
      );
    }
    // texts
    const fig = at(c, a.figure) as { of?: number } | undefined;
    return (
      <Stack key={key} gap={4}>
        <Sub>{title}</Sub>
        <TextsList answers={textAnswers(c, fig)} of={fig?.of ?? ofFor(a)} lang={lang} testId={testId} />
      </Stack>
    );
  };

  /** A block's pieces in order, short neighbours side by side. */
  const layout = (pieces: Piece[], blockKey: string): ReactNode[] => {
    const out: ReactNode[] = [];
    let run: ReactNode[] = [];
    const flush = () => {
      if (run.length === 1) out.push(run[0]);
      else if (run.length)
        out.push(
          <SimpleGrid key={`grid-${out.length}`} cols={{ base: 1, md: 2 }} spacing="md" style={{ alignItems: 'start' }}>
            {run}
          </SimpleGrid>,
        );
      run = [];
    };
    pieces.forEach((p, i) => {
      const node = renderPiece(p, blockKey, i);
      if (isNarrow(p)) run.push(node);
      else {
        flush();
        out.push(node);
      }
    });
    flush();
    return out;
  };

  const cellOf = (col: UnitColPlan, f: unknown, total: boolean, row?: ConsolidationRow): string => {
    const v = at(f, col.figure);
    if (v === null && !total && u.versioned?.[col.agg.figure] && row?.templateVersion && row.templateVersion < u.versioned[col.agg.figure]!.since)
      return t('consolidation.g.notInVersion', { v: row.templateVersion });
    if (v === null && !total && col.show !== 'rate') return t('consolidation.g.notApplicable');
    switch (col.show) {
      case 'rate':
        return rate(v);
      case 'number':
      case 'value':
        return total && col.show === 'value' ? '' : n0(v);
      case 'yesNo':
        return total ? ofUnits(t, typeof v === 'number' ? v : 0, ofFor(col.agg)) : v === 1 ? t('cell.yes') : t('cell.no');
      case 'meets': {
        const w = v as CountWhereFigure | undefined;
        if (total) return ofUnits(t, w?.count ?? 0, w?.of ?? 0);
        return w?.count ? t('cell.yes') : t('cell.no');
      }
      case 'option': {
        if (total) return '';
        const byType = (col.agg.spec as { byUnitType?: boolean }).byUnitType;
        let counts = (v ?? {}) as Record<string, unknown>;
        if (byType) counts = (Object.values(counts).find((x) => x && typeof x === 'object' && Object.values(x).includes(1)) ?? {}) as Record<string, unknown>;
        const k = Object.keys(counts).find((x) => counts[x] === 1);
        const o = 'options' in col.agg.item ? col.agg.item.options?.find((x) => x.value === k) : undefined;
        return o ? tx(o.label, lang) : (k ?? '—');
      }
      case 'bucket': {
        if (total) return '';
        const k = Object.entries((v ?? {}) as Record<string, unknown>).find(([, n]) => n === 1)?.[0];
        const spec = col.agg.spec as { buckets: string[]; bucketLabels?: { vi: string; en?: string }[] };
        if (k !== undefined && spec.bucketLabels) return bucketName(spec, k, lang);
        return k === undefined ? '—' : k.startsWith('>') ? `${t('consolidation.moreThan')}${k.slice(1)}` : k;
      }
    }
  };
  const colHead = (col: UnitColPlan): ReactNode => {
    if (!col.column || !col.table) return pairLabel(tpl, col.agg, lang, t);
    const unit = moneyUnitLabel(col.column, lang);
    return (
      <>
        <Text span size="xs" c="dimmed" display="block" fw={400}>
          {tx(col.table.label, lang)}
        </Text>
        {tx(col.column.label, lang)}
        {unit ? ` (${unit})` : ''}
      </>
    );
  };

  return (
    <Stack gap="md" data-testid="consolidation">
      <Group justify="space-between">
        <div>
          <Title order={3} size="h4">
            {t('consolidation.title', { period: periodLabel(period, lang) })}
          </Title>
          <Text size="sm" c="dimmed">
            {withoutFigures.length
              ? t('cityLoop.introCounted', {
                  n: formatNumber(submitted),
                  submitted: formatNumber(u.submitted),
                  total: formatNumber(u.expected),
                  returned: formatNumber(withoutFigures.length),
                })
              : t('consolidation.intro', { n: formatNumber(submitted), total: formatNumber(u.expected) })}
          </Text>
        </div>
        <Button
          leftSection={<IconDownload size={18} />}
          onClick={() => void doExport()}
          loading={exporting}
          data-testid="export-consolidation"
        >
          {t('consolidation.export')}
        </Button>
      </Group>
      {c.unitListVersion && (
        <PeriodListNotice
          template={tpl.id}
          period={period}
          version={c.unitListVersion}
          current={c.currentUnitListVersion}
          lang={lang}
          onMoved={load}
        />
      )}
      {c.unlisted.length > 0 && (
        <Alert color="yellow" icon={<IconAlertTriangle />}>
          {t('consolidation.unlisted', { codes: c.unlisted.join(', ') })}
        </Alert>
      )}
      {older.length > 0 && (
        <Alert color="blue" icon={<IconAlertTriangle />} data-testid="older-versions-note">
          {t('consolidation.g.olderVersions', { n: formatNumber(older.length), list: olderList, latest: c.templateVersion })}
        </Alert>
      )}
      {withoutFigures.length > 0 && (
        <Alert color="orange" icon={<IconAlertTriangle />} data-testid="returned-figures-note">
          {t('cityLoop.returnedNote', {
            names: withoutFigures.map((r) => r.name).join(', '),
          })}
        </Alert>
      )}

      <Block title={t('consolidation.completeness')} testId="cons-completeness">
        <Table.ScrollContainer minWidth={700}>
          <Table withTableBorder withColumnBorders striped verticalSpacing={4} className="sum-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('completeness.type')}</Table.Th>
                {(['expected', 'submitted', 'on_time', 'late', 'missing', 'accepted', 'returned'] as const).map((k) => (
                  <Table.Th key={k} ta="right">
                    {t(`consolidation.c.${k}`)}
                  </Table.Th>
                ))}
                <Table.Th ta="right">{t('consolidation.c.rate')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {[
                ...types.map((ty) => ({ key: ty, label: unitTypeTitle(ty, lang), v: u.completeness_by_type[ty]! })),
                { key: 'total', label: t('consolidation.total'), v: u },
              ].map((r) => (
                <Table.Tr key={r.key} className={r.key === 'total' ? 'total-row' : undefined} data-row={r.key}>
                  <Table.Td fw={r.key === 'total' ? 700 : 400}>{r.label}</Table.Td>
                  {(['expected', 'submitted', 'on_time', 'late', 'missing', 'accepted', 'returned'] as const).map(
                    (k) => (
                      <Table.Td key={k} ta="right" className="num" fw={r.key === 'total' ? 700 : 400}>
                        {formatNumber(r.v[k])}
                      </Table.Td>
                    ),
                  )}
                  <Table.Td ta="right" className="num" fw={r.key === 'total' ? 700 : 400}>
                    {formatRate(r.v.expected ? r.v.submitted / r.v.expected : 0)}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        <Text size="xs" c="dimmed" mt={4}>
          {t('consolidation.g.byTypeCounted', {
            list: types.map((ty) => `${unitTypeLabel(ty, lang)} ${formatNumber(u.by_type[ty] ?? 0)}`).join(', '),
          })}
        </Text>
      </Block>

      {blocks.map((b) => (
        <Block key={b.key} title={b.title} testId={`cons-${b.key}`}>
          <Stack gap="sm">{layout(b.pieces, b.key)}</Stack>
        </Block>
      ))}

      {current && (
        <Block title={t('consolidation.perUnit')} testId="cons-per-unit">
          <Group justify="space-between" mb="xs" align="flex-end">
            <SegmentedControl
              value={current.key}
              onChange={(v) => setSheet(v)}
              data={sheets.map((s) => ({ value: s.key, label: `${s.code}` }))}
              data-testid="per-unit-sheet"
            />
            <TextInput
              placeholder={t('completeness.searchPlaceholder')}
              leftSection={<IconSearch size={16} />}
              value={query}
              onChange={(e) => {
                setQuery(e.currentTarget.value);
                setPage(1);
              }}
              w={280}
              aria-label={t('completeness.search')}
            />
          </Group>
          <Text size="sm" c="dimmed" mb={4}>
            {tx(current.title, lang)} · {t('consolidation.perUnitHint', { n: formatNumber(c.rows.length) })}
          </Text>
          <Table.ScrollContainer minWidth={Math.max(900, 560 + cols.length * 120)}>
            <Table
              withTableBorder
              withColumnBorders
              striped
              verticalSpacing={4}
              className="sum-table"
              data-testid="per-unit-table"
            >
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={50}>{t('form.no')}</Table.Th>
                  <Table.Th>{t('completeness.unit')}</Table.Th>
                  <Table.Th>{t('completeness.type')}</Table.Th>
                  <Table.Th>{t('completeness.state')}</Table.Th>
                  {cols.map((col) => (
                    <Table.Th key={col.key} ta="right" data-figure={col.figure}>
                      {colHead(col)}
                    </Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {filteredRows.slice((pg - 1) * PAGE, pg * PAGE).map((r) => (
                  <Table.Tr key={r.code} data-unit={r.code}>
                    <Table.Td c="dimmed">{c.rows.indexOf(r) + 1}</Table.Td>
                    <Table.Td>
                      {r.name}{' '}
                      <Text span size="xs" c="dimmed">
                        ({r.code})
                      </Text>
                    </Table.Td>
                    <Table.Td>{unitTypeLabel(r.type, lang)}</Table.Td>
                    <Table.Td>
                      <StateBadge row={{ state: r.state, late: r.late ?? false } as never} />
                    </Table.Td>
                    {cols.map((col) => (
                      <Table.Td key={col.key} ta="right" className="num">
                        {r.figures ? cellOf(col, r.figures, false, r) : ''}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))}
                <Table.Tr className="total-row" data-unit="total">
                  <Table.Td />
                  <Table.Td fw={700} colSpan={3}>
                    {t('consolidation.totalUnits', { n: formatNumber(submitted) })}
                  </Table.Td>
                  {cols.map((col) => (
                    <Table.Td key={col.key} ta="right" fw={700} className="num">
                      {cellOf(col, c, true)}
                    </Table.Td>
                  ))}
                </Table.Tr>
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between" mt="xs">
            <Text size="xs" c="dimmed">
              {t('consolidation.totalsLast')}
            </Text>
            {pages > 1 && <Pagination value={pg} onChange={setPage} total={pages} size="sm" />}
          </Group>
          {cols.some((col) => col.show === 'rate') && (
            <Badge variant="light" mt="xs">
              {t('consolidation.g.ratesFromSums')}
            </Badge>
          )}
        </Block>
      )}
    </Stack>
  );
}
