import { Group, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { CompletenessRow } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { formatNumber, formatRate } from '../../shared/format.js';
import { unitTypeTitle } from '../labels.js';

/** What a clerk reads for a unit in a period: the review state, and for a received return whether it came in time. */
export type DisplayState = 'missing' | 'on_time' | 'late' | 'accepted' | 'returned';
export const DISPLAY_STATES: DisplayState[] = ['accepted', 'on_time', 'late', 'returned', 'missing'];
export const STATE_COLOR: Record<DisplayState, string> = {
  accepted: 'green',
  on_time: 'blue',
  late: 'orange',
  returned: 'red',
  missing: 'gray',
};
/** Fill colours of the chart, readable in print and for the common colour blindnesses (light vs dark). */
const FILL: Record<DisplayState, string> = {
  accepted: '#2f9e44',
  on_time: '#1c7ed6',
  late: '#f08c00',
  returned: '#e03131',
  missing: '#ced4da',
};
const TEXT_ON: Record<DisplayState, string> = {
  accepted: '#fff',
  on_time: '#fff',
  late: '#212529',
  returned: '#fff',
  missing: '#212529',
};

export function displayState(r: Pick<CompletenessRow, 'state' | 'late'>): DisplayState {
  if (r.state === 'received') return r.late ? 'late' : 'on_time';
  return r.state;
}

/** A stacked bar per unit type (and one for all units): how many units are in each state. */
export function StateChart({ rows, types, lang }: { rows: CompletenessRow[]; types: string[]; lang: Lang }) {
  const { t } = useTranslation();
  const groups = [
    { key: 'all', label: t('completeness.allUnits'), rows },
    ...types.map((ty) => ({ key: ty, label: unitTypeTitle(ty, lang), rows: rows.filter((r) => r.unit.type === ty) })),
  ].filter((g) => g.rows.length > 0);
  const labelW = 120;
  const countW = 150;
  const barW = 560;
  const rowH = 34;
  const width = labelW + barW + countW;
  const height = groups.length * rowH + 6;
  return (
    <div className="state-chart" data-testid="state-chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        role="img"
        aria-label={t('completeness.chartLabel')}
        style={{ maxWidth: width * 1.15, display: 'block', margin: '0 auto' }}
      >
        {groups.map((g, gi) => {
          const y = gi * rowH + 4;
          const total = g.rows.length;
          let x = labelW;
          const submitted = g.rows.filter((r) => r.state !== 'missing').length;
          return (
            <g key={g.key} data-chart-group={g.key}>
              <text
                x={labelW - 8}
                y={y + rowH / 2}
                textAnchor="end"
                dominantBaseline="middle"
                fontSize="14"
                fontWeight={gi === 0 ? 700 : 400}
              >
                {g.label}
              </text>
              {DISPLAY_STATES.map((s) => {
                const n = g.rows.filter((r) => displayState(r) === s).length;
                if (!n) return null;
                const w = (n / total) * barW;
                const seg = (
                  <g key={s} data-segment={s} data-count={n}>
                    <rect x={x} y={y + 3} width={w} height={rowH - 8} fill={FILL[s]} stroke="#fff" strokeWidth={1}>
                      <title>{`${g.label} — ${t(`state.${s}`)}: ${formatNumber(n)}`}</title>
                    </rect>
                    {w >= 22 && (
                      <text
                        x={x + w / 2}
                        y={y + rowH / 2}
                        textAnchor="middle"
                        dominantBaseline="middle"
                        fontSize="13"
                        fill={TEXT_ON[s]}
                        fontWeight={600}
                      >
                        {formatNumber(n)}
                      </text>
                    )}
                  </g>
                );
                x += w;
                return seg;
              })}
              <text x={labelW + barW + 8} y={y + rowH / 2} dominantBaseline="middle" fontSize="13" fill="#495057">
                {t('completeness.chartSubmitted', {
                  n: formatNumber(submitted),
                  total: formatNumber(total),
                  rate: formatRate(total ? submitted / total : 0),
                })}
              </text>
            </g>
          );
        })}
      </svg>
      <Group gap="md" mt={6} justify="center">
        {DISPLAY_STATES.map((s) => (
          <Group key={s} gap={6} wrap="nowrap">
            <span className="legend-swatch" style={{ background: FILL[s] }} aria-hidden />
            <Text size="sm">{t(`state.${s}`)}</Text>
          </Group>
        ))}
      </Group>
    </div>
  );
}
