import { memo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Lang } from '../../shared/i18n.js';
import { tx } from '../../shared/i18n.js';
import { formatDate, formatNumber, parseDate, parseMoney, parseNumber, type ParsedNumber } from '../../shared/format.js';
import { cleanLine, cleanText } from '../../shared/text.js';
import type { AttachmentRef, Column } from '../../shared/template/schema.js';
import { LONGTEXT_MAX } from '../../shared/template/rules.js';
import { showInput } from './display.js';
import { AttachmentCell } from './AttachmentCell.js';

export type CellSpec = Pick<Column, 'type' | 'options' | 'decimals' | 'year' | 'placeholder' | 'maxLength' | 'width'> &
  Partial<Pick<Column, 'moneyUnit' | 'maxBytes'>>;
export type Severity = 'error' | 'warning' | undefined;

export interface CellProps {
  path: string;
  spec: CellSpec;
  value: unknown;
  onChange: (path: string, value: unknown) => void;
  onBlur?: (path: string) => void;
  severity?: Severity;
  lang: Lang;
  /** What a screen reader says: the cell's full name. */
  label: string;
  variant: 'grid' | 'field';
  /** For arrow-key moves inside a table column. */
  grid?: { table: string; row: number; col: string };
  /** The return a file cell's attachment belongs to. */
  returnId?: number;
}

/** The DOM id of a cell's control, so that a <label> can point at it. */
export function cellId(path: string): string {
  return `cell-${path.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
}

function cls(p: CellProps, kind: string): string {
  return ['cell', `cell-${kind}`, `cell-${p.variant}`, p.severity ? `has-${p.severity}` : ''].filter(Boolean).join(' ');
}

/** What every single-control cell carries: its path, the id its <label> points at, its name and validity. */
function controlAttrs(p: CellProps) {
  return {
    'data-cell': p.path,
    id: cellId(p.path),
    'aria-label': p.label,
    'aria-invalid': p.severity === 'error' || undefined,
  };
}

function gridAttrs(p: CellProps) {
  return p.grid ? { 'data-grid': p.grid.table, 'data-row': p.grid.row, 'data-col': p.grid.col } : {};
}

/** A number typed the Vietnamese way. Text that does not parse is kept as typed (and validation says why). */
function NumberCell(p: CellProps & { parse?: (text: string) => ParsedNumber }) {
  const [text, setText] = useState<string | null>(null);
  const shown = text ?? showInput(p.value, p.spec);
  return (
    <input
      className={cls(p, 'num')}
      type="text"
      size={p.spec.year ? 5 : 8}
      inputMode="decimal"
      autoComplete="off"
      spellCheck={false}
      {...controlAttrs(p)}
      {...gridAttrs(p)}
      value={shown}
      placeholder={p.spec.placeholder}
      onFocus={(e) => {
        setText(showInput(p.value, p.spec));
        e.currentTarget.select();
      }}
      onChange={(e) => {
        const s = e.target.value;
        setText(s);
        const parsed = (p.parse ?? parseNumber)(s);
        p.onChange(p.path, parsed.ok ? (parsed.value ?? undefined) : s);
      }}
      onBlur={() => {
        setText(null);
        p.onBlur?.(p.path);
      }}
    />
  );
}

/**
 * Text as typed or pasted, through the one text rule (shared/text.ts): a vertical tab from Word,
 * a Unicode line separator or CR LF become a line break, which a one-line cell shows as a space;
 * invisible controls are dropped; Vietnamese letters in one (NFC) form. Empty is no value.
 */
function oneLine(s: string): string | undefined {
  const clean = cleanLine(s);
  return clean === '' ? undefined : clean;
}

function TextCell(p: CellProps) {
  const value =
    typeof p.value === 'string' ? p.value : p.value === undefined || p.value === null ? '' : String(p.value);
  if (p.variant === 'grid' && (p.spec.maxLength ?? 0) > 100)
    // A long text in a table (a name and address) wraps instead of being cut off; Enter still moves on.
    return (
      <textarea
        className={cls(p, 'text') + ' cell-long'}
        rows={1}
        {...controlAttrs(p)}
        {...gridAttrs(p)}
        value={value}
        placeholder={p.spec.placeholder}
        onChange={(e) => p.onChange(p.path, oneLine(e.target.value))}
        onBlur={() => p.onBlur?.(p.path)}
      />
    );
  return (
    <input
      size={p.variant === 'grid' ? Math.max(8, Math.round((p.spec.width ?? 12) * 0.7)) : undefined}
      className={cls(p, 'text')}
      type="text"
      autoComplete="off"
      {...controlAttrs(p)}
      {...gridAttrs(p)}
      value={value}
      placeholder={p.spec.placeholder}
      onChange={(e) => p.onChange(p.path, oneLine(e.target.value))}
      onBlur={() => p.onBlur?.(p.path)}
    />
  );
}

function SelectCell(p: CellProps) {
  const { t } = useTranslation();
  const v = typeof p.value === 'string' ? p.value : '';
  const known = (p.spec.options ?? []).some((o) => o.value === v);
  return (
    <select
      className={cls(p, 'select')}
      {...controlAttrs(p)}
      value={v}
      onChange={(e) => p.onChange(p.path, e.target.value === '' ? undefined : e.target.value)}
      onBlur={() => p.onBlur?.(p.path)}
    >
      <option value="">{t('cell.choose')}</option>
      {(p.spec.options ?? []).map((o) => (
        <option key={o.value} value={o.value}>
          {tx(o.label, p.lang)}
        </option>
      ))}
      {v && !known && <option value={v}>{v}</option>}
    </select>
  );
}

function BoolCell(p: CellProps) {
  const { t } = useTranslation();
  const v = p.value === true ? 'true' : p.value === false ? 'false' : '';
  return (
    <select
      className={cls(p, 'select cell-bool')}
      {...controlAttrs(p)}
      value={v}
      onChange={(e) => p.onChange(p.path, e.target.value === '' ? undefined : e.target.value === 'true')}
      onBlur={() => p.onBlur?.(p.path)}
    >
      <option value="">{t('cell.choose')}</option>
      <option value="true">{t('cell.yes')}</option>
      <option value="false">{t('cell.no')}</option>
    </select>
  );
}

function MultiCell(p: CellProps) {
  const chosen = Array.isArray(p.value) ? (p.value as unknown[]) : [];
  const opts = p.spec.options ?? [];
  return (
    <div className={cls(p, 'multi')} role="group" aria-label={p.label}>
      {opts.map((o, i) => {
        const on = chosen.includes(o.value);
        return (
          <label key={o.value} className="multi-option">
            <input
              type="checkbox"
              checked={on}
              data-cell={i === 0 ? p.path : undefined}
              id={i === 0 ? cellId(p.path) : undefined}
              data-option={o.value}
              onChange={() => {
                const next = on ? chosen.filter((x) => x !== o.value) : [...chosen, o.value];
                const ordered = opts.map((x) => x.value).filter((x) => next.includes(x));
                p.onChange(p.path, ordered.length ? ordered : undefined);
              }}
              onBlur={() => p.onBlur?.(p.path)}
            />
            <span>{tx(o.label, p.lang)}</span>
          </label>
        );
      })}
    </div>
  );
}

/**
 * A long text (results, difficulties, proposals): a textarea that grows with its text, line breaks
 * kept (Enter starts a new line; Tab moves on), and a counter of characters against the limit.
 */
function LongTextCell(p: CellProps) {
  const { t } = useTranslation();
  const value = typeof p.value === 'string' ? p.value : p.value === undefined || p.value === null ? '' : String(p.value);
  const max = p.spec.maxLength ?? LONGTEXT_MAX;
  const over = value.length - max;
  return (
    <div className={`cell-longtext-wrap cell-${p.variant}`}>
      {/* It grows with its text by CSS (field-sizing: content), without a layout read per keystroke. */}
      <textarea
        className={cls(p, 'longtext')}
        rows={p.variant === 'grid' ? 2 : 3}
        {...controlAttrs(p)}
        {...gridAttrs(p)}
        data-multiline="true"
        value={value}
        placeholder={p.spec.placeholder}
        onChange={(e) => {
          const clean = cleanText(e.target.value);
          p.onChange(p.path, clean.trim() === '' ? undefined : clean);
        }}
        onBlur={() => p.onBlur?.(p.path)}
      />
      <div className={`char-count ${over > 0 ? 'over' : ''}`} data-char-count={p.path} aria-live="polite">
        {over > 0
          ? t('cell.charsOver', { count: formatNumber(value.length), max: formatNumber(max), over: formatNumber(over) })
          : t('cell.chars', { count: formatNumber(value.length), max: formatNumber(max) })}
      </div>
    </div>
  );
}

/**
 * A date typed as dd/mm/yyyy and stored as YYYY-MM-DD. Text that is not a real date yet is kept as
 * typed (validation says why, with an example), as a number cell does.
 */
function DateCell(p: CellProps) {
  const { t } = useTranslation();
  const [text, setText] = useState<string | null>(null);
  const stored = typeof p.value === 'string' ? (/^\d{4}-\d{2}-\d{2}$/.test(p.value) ? formatDate(p.value) : p.value) : '';
  return (
    <input
      className={cls(p, 'date')}
      type="text"
      size={11}
      inputMode="numeric"
      autoComplete="off"
      spellCheck={false}
      {...controlAttrs(p)}
      {...gridAttrs(p)}
      value={text ?? stored}
      placeholder={t('cell.datePlaceholder')}
      title={t('cell.dateHint')}
      onFocus={(e) => {
        setText(stored);
        e.currentTarget.select();
      }}
      onChange={(e) => {
        const s = cleanLine(e.target.value);
        setText(s);
        p.onChange(p.path, s.trim() === '' ? undefined : (parseDate(s) ?? s.trim()));
      }}
      onBlur={() => {
        setText(null);
        p.onBlur?.(p.path);
      }}
    />
  );
}

/**
 * An amount of money: a number with thousands separators and its unit (đồng / triệu đồng) beside it.
 * People write money with a word ("12 triệu", "1,5 tỷ", "1.234.567 đồng"): it is converted to the cell's unit.
 */
function MoneyCell(p: CellProps) {
  const { t } = useTranslation();
  const unit = p.spec.moneyUnit ?? 'dong';
  return (
    <span className={`cell-money-wrap cell-${p.variant}`}>
      <NumberCell {...p} parse={(s) => parseMoney(s, unit)} />
      <span className="money-unit" data-money-unit={p.path}>
        {t(`cell.${unit}`)}
      </span>
    </span>
  );
}

function isRef(v: unknown): v is AttachmentRef {
  return !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as AttachmentRef).name === 'string';
}

/** A file (a scanned decision, a signed page): engineer F's AttachmentCell, bound to the cell's path. */
function FileCell(p: CellProps) {
  return (
    <div className={`file-wrap cell-${p.variant} ${p.severity ? `has-${p.severity}` : ''}`} data-cell={p.path} id={cellId(p.path)}>
      <AttachmentCell
        value={isRef(p.value) ? p.value : null}
        onChange={(v) => {
          p.onChange(p.path, v ?? undefined);
          p.onBlur?.(p.path);
        }}
        returnId={p.returnId}
        maxBytes={p.spec.maxBytes}
        label={p.label}
      />
    </div>
  );
}

/** The same cell props: every prop by identity, but `grid` (a new object on every draw) by its fields. */
function sameCell(a: CellProps, b: CellProps): boolean {
  for (const k of Object.keys(a) as (keyof CellProps)[]) if (k !== 'grid' && !Object.is(a[k], b[k])) return false;
  if (Object.keys(a).length !== Object.keys(b).length) return false;
  return a.grid === b.grid || (!!a.grid && !!b.grid && a.grid.table === b.grid.table && a.grid.row === b.grid.row && a.grid.col === b.grid.col);
}

/** One input cell of the form, chosen by the template's value type. */
export const Cell = memo(function Cell(p: CellProps) {
  switch (p.spec.type) {
    case 'integer':
    case 'decimal':
    case 'rate':
      return <NumberCell {...p} />;
    case 'money':
      return <MoneyCell {...p} />;
    case 'date':
      return <DateCell {...p} />;
    case 'longtext':
      return <LongTextCell {...p} />;
    case 'file':
      return <FileCell {...p} />;
    case 'enum':
      return <SelectCell {...p} />;
    case 'boolean':
      return <BoolCell {...p} />;
    case 'multi':
      return <MultiCell {...p} />;
    default:
      return <TextCell {...p} />;
  }
}, sameCell);
