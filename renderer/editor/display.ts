import type { Lang } from '../../shared/i18n.js';
import { tx } from '../../shared/i18n.js';
import { formatDate, formatMoney, formatNumber, formatRate } from '../../shared/format.js';
import { formatBytes } from '../../shared/attachments.js';
import type { Column, Template } from '../../shared/template/schema.js';
import { findItem } from '../../shared/template/model.js';

type Spec = Pick<Column, 'type' | 'options' | 'decimals' | 'year'> & Partial<Pick<Column, 'moneyUnit'>>;

/** The text of a number cell when it is not being edited: 1.234.567 or 12,5; a year without separators; unparsed text as typed. */
export function showInput(v: unknown, spec: Pick<Column, 'year'>): string {
  if (typeof v === 'number') return spec.year ? String(v) : formatNumber(v, 6);
  if (v === null || v === undefined) return '';
  return String(v);
}

const YES_NO: Record<Lang, [string, string]> = { vi: ['Có', 'Không'], en: ['Yes', 'No'] };

/** Any value as a person reads it, following its template spec. */
export function showValue(v: unknown, spec: Spec | undefined, lang: Lang): string {
  if (v === null || v === undefined || v === '') return '';
  if (typeof v === 'boolean') return YES_NO[lang][v ? 0 : 1];
  if (typeof v === 'number') {
    if (spec?.type === 'rate') return formatRate(v);
    if (spec?.type === 'money') {
      const s = formatMoney(v, spec.moneyUnit, spec.decimals ?? 3);
      return lang === 'en' ? s.replace('triệu đồng', 'million đồng') : s;
    }
    if (spec?.year) return String(v);
    return formatNumber(v, spec?.type === 'integer' && Number.isInteger(v) ? 0 : 6);
  }
  if (spec?.type === 'date' && typeof v === 'string') return formatDate(v);
  if (spec?.type === 'file' && typeof v === 'object' && !Array.isArray(v)) {
    const f = v as { name?: unknown; size?: unknown };
    return typeof f.name === 'string' ? `${f.name} (${formatBytes(Number(f.size) || 0)})` : '';
  }
  if (Array.isArray(v)) return v.map((x) => showValue(x, spec && { ...spec, type: 'enum' }, lang)).join('; ');
  if (typeof v === 'string' && spec?.options) {
    const o = spec.options.find((x) => x.value === v);
    if (o) return tx(o.label, lang);
  }
  return String(v);
}

/** The spec (type, options) of the cell at a path, for showing a diff or a change. */
export function specAt(t: Template, path: string): Spec | undefined {
  const found = findItem(t, path);
  if (!found) return undefined;
  const { item } = found;
  if (item.kind === 'field' || item.kind === 'computed') return item;
  const parts = path.split('.');
  const colKey = parts[3];
  return item.columns.find((c) => c.key === colKey);
}
