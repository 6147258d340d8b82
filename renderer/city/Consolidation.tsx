import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Loader,
  Pagination,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { IconAlertTriangle, IconDownload, IconSearch } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Consolidation, ConsolidationRow, Figures } from '../../shared/consolidate.js';
import { returnedWithoutFigures, unitTypes } from '../../shared/consolidate.js';
import type { Lang } from '../../shared/i18n.js';
import { tx } from '../../shared/i18n.js';
import { formatNumber, formatRate } from '../../shared/format.js';
import { parsePeriod, periodLabel } from '../../shared/periods.js';
import { evaluate } from '../../shared/template/compute.js';
import type { Row } from '../../shared/template/model.js';
import { findItem, getPath } from '../../shared/template/model.js';
import type { Column, FieldItem, TableItem, Template } from '../../shared/template/schema.js';
import { matchesQuery } from '../../shared/text.js';
import { RetryAlert } from '../RetryAlert.js';
import { exportFile } from '../exportFile.js';
import { api, messageOf } from '../api.js';
import { unitTypeLabel, unitTypeTitle } from '../labels.js';
import { headerRows } from '../editor/SectionForm.js';
import { StateBadge } from './Completeness.js';
import { PeriodListNotice } from './PeriodListNotice.js';

const PAGE = 50;
const n0 = (v: unknown) => (typeof v === 'number' ? formatNumber(v, 2) : '—');
const rate = (v: unknown) => (typeof v === 'number' ? formatRate(v) : '—');
const at = (f: unknown, path: string): unknown => getPath(f, path);

function tableOf(t: Template, path: string): TableItem | undefined {
  const f = findItem(t, path);
  return f && f.item.kind === 'table' ? f.item : undefined;
}
function fieldOf(t: Template, path: string): FieldItem | undefined {
  const f = findItem(t, path);
  return f && (f.item.kind === 'field' || f.item.kind === 'computed') ? (f.item as FieldItem) : undefined;
}
function labelOf(t: Template, path: string, lang: Lang): string {
  const f = findItem(t, path);
  return f ? tx(f.item.label, lang) : path;
}
function optionLabel(t: Template, path: string, value: string, lang: Lang): string {
  const o = fieldOf(t, path)?.options?.find((x) => x.value === value);
  return o ? tx(o.label, lang) : value;
}

/** A block of the summary: a titled card. */
function Block({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <Card withBorder padding="sm" data-testid={testId}>
      <Title order={4} size="h5" mb="xs">
        {title}
      </Title>
      {children}
    </Card>
  );
}

/** Label / value pairs, numbers right-aligned. */
function Pairs({ rows }: { rows: [string, string][] }) {
  return (
    <Table withRowBorders={false} verticalSpacing={3} className="pairs">
      <Table.Tbody>
        {rows.map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Td>{k}</Table.Td>
            <Table.Td ta="right" fw={600} className="num">
              {v}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** A distribution as a label / count / share table with a small bar. */
function Distribution({ items, total }: { items: [string, number][]; total: number }) {
  return (
    <Table withRowBorders={false} verticalSpacing={3} className="pairs">
      <Table.Tbody>
        {items.map(([k, v]) => (
          <Table.Tr key={k} data-bucket={k}>
            <Table.Td>{k}</Table.Td>
            <Table.Td ta="right" fw={600} w={70} className="num">
              {formatNumber(v)}
            </Table.Td>
            <Table.Td w={140}>
              <div className="mini-bar" aria-hidden>
                <span style={{ width: `${total ? (v / total) * 100 : 0}%` }} />
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

/**
 * A summed table of the template (rows × columns with the template's group headers, total row last).
 * Rate columns are evaluated by the template's own expression on the summed row: computed from the
 * sums, never averaged.
 */
function SummedTable({
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

type Sheet = 'unit_info' | 'staff' | 'hq' | 'vehicles' | 'procedures';
interface UnitCol {
  key: string;
  label: string;
  value: (f: Figures) => string;
}

/** The Biểu tổng hợp of a period on screen, and as a workbook. */
export function ConsolidationView({ template: tpl, period, lang }: { template: Template; period: string; lang: Lang }) {
  const { t } = useTranslation();
  const [c, setC] = useState<(Consolidation & { unitListVersion?: string; currentUnitListVersion?: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const [sheet, setSheet] = useState<Sheet>('unit_info');
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(1);

  const load = useCallback(() => {
    api
      .call('city.consolidation', { template: tpl.id, period })
      .then((r) => setC(r as Consolidation))
      .catch((e) => setError(messageOf(e)));
  }, [tpl.id, period]);
  useEffect(load, [load]);

  const doExport = async () => {
    setExporting(true);
    await exportFile(t, () => api.call('city.consolidation.export', { template: tpl.id, period }));
    setExporting(false);
  };

  const year = parsePeriod(period)?.year ?? 0;
  const proc = tableOf(tpl, 'procedures.fields');
  const unitCols: Record<Sheet, UnitCol[]> = useMemo(() => {
    const bandOf = (f: Figures) => {
      const bands = (at(f, 'one_stop.bands') ?? {}) as Record<string, number>;
      const k = Object.keys(bands).find((b) => bands[b] === 1);
      return k ? optionLabel(tpl, 'unit_info.one_stop_area_band', k, lang) : '—';
    };
    const classOf = (f: Figures) => {
      const byType = (at(f, 'units.by_type_class') ?? {}) as Record<string, Record<string, number>>;
      for (const counts of Object.values(byType)) {
        const k = Object.keys(counts).find((x) => counts[x] === 1);
        if (k) return optionLabel(tpl, 'unit_info.unit_class', k, lang);
      }
      return '—';
    };
    const planOf = (f: Figures) => {
      const plans = (at(f, 'hq.plan') ?? {}) as Record<string, number>;
      const k = Object.keys(plans).find((x) => plans[x] === 1);
      return k ? optionLabel(tpl, 'hq.plan', k, lang) : '—';
    };
    const staff = tableOf(tpl, 'staff.blocks');
    const staffCol = (k: string) => tx(staff?.columns.find((x) => x.key === k)?.label, lang);
    const procCol = (k: string) => tx(proc?.columns.find((x) => x.key === k)?.label, lang);
    return {
      unit_info: [
        { key: 'class', label: labelOf(tpl, 'unit_info.unit_class', lang), value: classOf },
        { key: 'area', label: labelOf(tpl, 'unit_info.area_km2', lang), value: (f) => n0(at(f, 'units.area_km2')) },
        { key: 'pop', label: labelOf(tpl, 'unit_info.population', lang), value: (f) => n0(at(f, 'units.population')) },
        { key: 'band', label: t('consolidation.oneStopBand'), value: bandOf },
        {
          key: 'equipped',
          label: t('consolidation.equipped'),
          value: (f) => (at(f, 'one_stop.equipped') === 1 ? t('cell.yes') : t('cell.no')),
        },
      ],
      staff: [
        ...['cbcc_quota', 'cbcc_present', 'vc_quota', 'vc_present'].map((k) => ({
          key: k,
          label: staffCol(k),
          value: (f: Figures) => n0(at(f, `staff.blocks.total.${k}`)),
        })),
        {
          key: 'nhdkct',
          label: labelOf(tpl, 'staff.nhdkct_total', lang),
          value: (f) => n0(at(f, 'staff.nhdkct_total')),
        },
        {
          key: 'departures',
          label: t('consolidation.departuresTotal'),
          value: (f) => n0(at(f, 'staff.departures.total.total')),
        },
      ],
      hq: [
        { key: 'sites', label: labelOf(tpl, 'hq.site_count', lang), value: (f) => n0(at(f, 'hq.sites_total')) },
        { key: 'plan', label: labelOf(tpl, 'hq.plan', lang), value: planOf },
        { key: 'surplus', label: labelOf(tpl, 'hq.surplus_sites', lang), value: (f) => n0(at(f, 'hq.surplus_sites')) },
        {
          key: 'decided',
          label: labelOf(tpl, 'hq.surplus_decided', lang),
          value: (f) => n0(at(f, 'hq.surplus_decided')),
        },
      ],
      vehicles: [
        { key: 'cars', label: t('consolidation.carsTotal'), value: (f) => n0(at(f, 'vehicles.cars_total')) },
        {
          key: 'inuse',
          label: labelOf(tpl, 'vehicles.cars_in_use', lang),
          value: (f) => n0(at(f, 'vehicles.cars_in_use')),
        },
        {
          key: 'short',
          label: labelOf(tpl, 'vehicles.shortfall', lang),
          value: (f) => n0(at(f, 'vehicles.shortfall_total')),
        },
      ],
      procedures: [
        ...['received_total', 'done_total', 'pending_total', 'returned_withdrawn', 'digitised'].map((k) => ({
          key: k,
          label: procCol(k),
          value: (f: Figures) => n0(at(f, `procedures.total.${k}`)),
        })),
        { key: 'ontime', label: procCol('on_time_rate'), value: (f) => rate(at(f, 'procedures.on_time_rate')) },
        { key: 'online', label: procCol('online_rate'), value: (f) => rate(at(f, 'procedures.online_rate')) },
      ],
    };
  }, [tpl, lang, t, proc]);

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
  const staffItem = tableOf(tpl, 'staff.blocks');
  const depItem = tableOf(tpl, 'staff.departures');
  const classes = fieldOf(tpl, 'unit_info.unit_class')?.options ?? [];
  // Issue 7 item 9: a returned report is submitted, but a returned revision's figures are not added;
  // the figures (and their shares) are over the units whose figures count.
  const withoutFigures = returnedWithoutFigures(c);
  const submitted = u.submitted - withoutFigures.length;
  const pages = Math.max(1, Math.ceil(filteredRows.length / PAGE));
  const pg = Math.min(page, pages);
  const cols = unitCols[sheet];

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
      </Block>

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Block title={t('consolidation.units')} testId="cons-units">
          <Table withTableBorder withColumnBorders verticalSpacing={4} className="sum-table" mb="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('completeness.type')}</Table.Th>
                <Table.Th ta="right">{t('consolidation.submittedUnits')}</Table.Th>
                {classes.map((o) => (
                  <Table.Th key={o.value} ta="right">
                    {tx(o.label, lang)}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {types.map((ty) => (
                <Table.Tr key={ty}>
                  <Table.Td>{unitTypeTitle(ty, lang)}</Table.Td>
                  <Table.Td ta="right" className="num">
                    {formatNumber(u.by_type[ty] ?? 0)}
                  </Table.Td>
                  {classes.map((o) => (
                    <Table.Td key={o.value} ta="right" className="num">
                      {n0(at(u, `by_type_class.${ty}.${o.value}`) ?? 0)}
                    </Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pairs
            rows={[
              [labelOf(tpl, 'unit_info.area_km2', lang), n0(u.area_km2)],
              [labelOf(tpl, 'unit_info.population', lang), n0(u.population)],
            ]}
          />
        </Block>
        <Block title={t('consolidation.oneStop')} testId="cons-onestop">
          <Distribution
            items={(fieldOf(tpl, 'unit_info.one_stop_area_band')?.options ?? []).map((o) => [
              tx(o.label, lang),
              Number(at(c, `one_stop.bands.${o.value}`) ?? 0),
            ])}
            total={submitted}
          />
          <Pairs rows={[[t('consolidation.equipped'), n0(at(c, 'one_stop.equipped'))]]} />
        </Block>
      </SimpleGrid>

      <Block title={t('consolidation.staff')} testId="cons-staff">
        <Stack gap="sm">
          {staffItem && (
            <SummedTable
              item={staffItem}
              figures={(at(c, 'staff.blocks') ?? {}) as Record<string, Record<string, unknown>>}
              columns={staffItem.columns.filter((col) =>
                Object.keys((at(c, 'staff.blocks.total') ?? {}) as object).includes(col.key),
              )}
              lang={lang}
              testId="cons-staff-blocks"
              periodYear={year}
            />
          )}
          <Pairs
            rows={[
              'nhdkct_total',
              'nhdkct_leave_approved',
              'nhdkct_leave_paid',
              'recruited',
              'transferred_in',
              'transferred_out',
              'seconded_in',
            ].map((k) => [labelOf(tpl, `staff.${k}`, lang), n0(at(c, `staff.${k}`))] as [string, string])}
          />
          {depItem && (
            <>
              <Text fw={600} size="sm">
                {tx(depItem.label, lang)}
              </Text>
              <SummedTable
                item={depItem}
                figures={(at(c, 'staff.departures') ?? {}) as Record<string, Record<string, unknown>>}
                columns={depItem.columns}
                lang={lang}
                testId="cons-departures"
                periodYear={year}
              />
            </>
          )}
        </Stack>
      </Block>

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Block title={t('consolidation.hq')} testId="cons-hq">
          <Text size="sm" fw={600}>
            {t('consolidation.sitesDistribution')}
          </Text>
          <Distribution
            items={Object.entries((at(c, 'hq.site_count_distribution') ?? {}) as Record<string, number>).map(
              ([k, v]) => [t('consolidation.sites', { n: k.replace('>', t('consolidation.moreThan')) }), v],
            )}
            total={submitted}
          />
          <Pairs rows={[[t('consolidation.sitesTotal'), n0(at(c, 'hq.sites_total'))]]} />
          <Text size="sm" fw={600} mt="xs">
            {labelOf(tpl, 'hq.plan', lang)}
          </Text>
          <Distribution
            items={(fieldOf(tpl, 'hq.plan')?.options ?? []).map((o) => [
              tx(o.label, lang),
              Number(at(c, `hq.plan.${o.value}`) ?? 0),
            ])}
            total={submitted}
          />
          <Pairs
            rows={[
              [labelOf(tpl, 'hq.surplus_sites', lang), n0(at(c, 'hq.surplus_sites'))],
              [labelOf(tpl, 'hq.surplus_decided', lang), n0(at(c, 'hq.surplus_decided'))],
            ]}
          />
        </Block>
        <Block title={t('consolidation.vehicles')} testId="cons-vehicles">
          <Text size="sm" fw={600}>
            {t('consolidation.carNorm')}
          </Text>
          <Distribution
            items={Object.entries((at(c, 'vehicles.shortfall_distribution') ?? {}) as Record<string, number>).map(
              ([k, v]) => [k === '0' ? t('consolidation.meetsNorm') : t('consolidation.shortBy', { n: k }), v],
            )}
            total={submitted}
          />
          <Pairs
            rows={[
              [t('consolidation.carsTotal'), n0(at(c, 'vehicles.cars_total'))],
              [labelOf(tpl, 'vehicles.cars_in_use', lang), n0(at(c, 'vehicles.cars_in_use'))],
              [t('consolidation.shortfallTotal'), n0(at(c, 'vehicles.shortfall_total'))],
            ]}
          />
        </Block>
      </SimpleGrid>

      {proc && (
        <Block title={t('consolidation.procedures')} testId="cons-procedures">
          <SummedTable
            item={{ ...proc, totalRow: proc.totalRow }}
            figures={{
              ...((at(c, 'procedures.fields') ?? {}) as Record<string, Record<string, unknown>>),
              ...(proc.totalRow
                ? { [proc.totalRow.key]: (at(c, 'procedures.total') ?? {}) as Record<string, unknown> }
                : {}),
            }}
            columns={proc.columns}
            lang={lang}
            testId="cons-procedures-table"
            periodYear={year}
          />
        </Block>
      )}

      <Block title={t('consolidation.perUnit')} testId="cons-per-unit">
        <Group justify="space-between" mb="xs" align="flex-end">
          <SegmentedControl
            value={sheet}
            onChange={(v) => setSheet(v as Sheet)}
            data={tpl.sections.map((s) => ({ value: s.key, label: `${s.code}` }))}
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
          {tx(tpl.sections.find((s) => s.key === sheet)?.title, lang)} ·{' '}
          {t('consolidation.perUnitHint', { n: formatNumber(c.rows.length) })}
        </Text>
        <Table.ScrollContainer minWidth={900}>
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
                  <Table.Th key={col.key} ta="right">
                    {col.label}
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
                      {r.figures ? col.value(r.figures) : ''}
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
                    {['class', 'band', 'plan'].includes(col.key)
                      ? ''
                      : col.key === 'equipped'
                        ? n0(at(c, 'one_stop.equipped'))
                        : col.value(c as unknown as Figures)}
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
        {sheet === 'procedures' && (
          <Badge variant="light" mt="xs">
            {t('consolidation.ratesFromSums')}
          </Badge>
        )}
      </Block>
    </Stack>
  );
}
