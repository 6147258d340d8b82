/**
 * The exporter: a Template as the sheets of an authoring workbook, in the canonical form
 * (compileWorkbook(templateToSheets(t)).template deep-equals t). Only the columns a sheet uses
 * are written, in the order of format.ts.
 */
import type { Column, ConsolidationAggregate, ConsolidationGroup, Item, Rule, Template } from '../schema.js';
import { printCondition, printExpr } from './expr.js';
import type { ColumnSpec } from './format.js';
import {
  AGGREGATES,
  CHECKS,
  CHOICE_COLUMNS,
  CONSOLIDATION_COLUMNS,
  FORM_COLUMNS,
  MONEY_UNITS,
  NO_WORD,
  PERIOD_TYPES,
  RULE_COLUMNS,
  SETTINGS,
  SETTINGS_COLUMNS,
  SEVERITIES,
  SHEETS,
  STRUCTURE,
  VALUE_TYPES,
  YES_WORD,
} from './format.js';
import type { Cell, SheetData } from './types.js';

type Text = { vi: string; en?: string };
type Values<K extends string> = Partial<Record<K, Cell>>;

/** Rows keyed by column → a sheet with only the used columns (and the required ones). */
function sheet<K extends string>(name: string, specs: readonly ColumnSpec<K>[], always: K[], rows: Values<K>[]): SheetData {
  const used = specs.filter((s) => always.includes(s.key) || rows.some((r) => r[s.key] !== undefined && r[s.key] !== null && r[s.key] !== ''));
  return { name, rows: [used.map((s) => s.heading), ...rows.map((r) => used.map((s) => r[s.key] ?? null))] };
}

const yes = (b: boolean | undefined): Cell => (b === undefined ? null : b ? YES_WORD : NO_WORD);
const en = (t: Text | undefined): Cell => t?.en ?? null;

/** "5 MB", "500 KB" or a number of bytes. */
export function printBytes(b: number): string {
  if (b % (1024 * 1024) === 0) return `${b / 1024 / 1024} MB`;
  if (b % 1024 === 0) return `${b / 1024} KB`;
  return String(b);
}

function printWhereValue(v: number | string | boolean): string {
  return typeof v === 'number' ? String(v) : typeof v === 'boolean' ? (v ? YES_WORD : NO_WORD) : `"${v}"`;
}

export function templateToSheets(t: Template): SheetData[] {
  // ----- settings
  const settings: [string, Cell][] = [];
  const set = (k: (typeof SETTINGS)[number]['key'], v: Cell) => {
    if (v !== null && v !== undefined) settings.push([SETTINGS.find((s) => s.key === k)!.heading, v]);
  };
  set('id', t.id);
  set('version', t.version);
  set('title', t.title.vi);
  set('titleEn', en(t.title));
  set('body', t.receivingBody.vi);
  set('bodyEn', en(t.receivingBody));
  set('periods', t.periodTypes.map((p) => PERIOD_TYPES[p][0]).join(', '));
  set('deadline', t.deadlineDay);
  set('preparer', t.signers?.preparer ?? null);
  set('head', t.signers?.head ?? null);

  // ----- choices: one list per distinct set of options, named after the first item using it
  const lists: { name: string; options: { value: string; label: Text }[] }[] = [];
  const listOf = (key: string, options: { value: string; label: Text }[] | undefined): string | null => {
    if (!options) return null;
    const same = lists.find((l) => JSON.stringify(l.options) === JSON.stringify(options));
    if (same) return same.name;
    let name = key;
    for (let i = 2; lists.some((l) => l.name === name); i++) name = `${key}_${i}`;
    lists.push({ name, options });
    return name;
  };

  // ----- form
  type F = (typeof FORM_COLUMNS)[number]['key'];
  const form: Values<F>[] = [];
  const applies = (a: Item['appliesTo']): Values<F> =>
    a
      ? {
          unitTypes: a.unitTypes?.join(', ') ?? null,
          attribute: a.attribute ? (a.values ? `${a.attribute} = ${a.values.map((v) => `"${v}"`).join(', ')}` : a.attribute) : null,
        }
      : {};
  const cell = (c: Column, listKey: string): Values<F> => ({
    type: VALUE_TYPES[c.type][0],
    key: c.key,
    label: c.label.vi,
    labelEn: en(c.label),
    required: yes(c.required),
    min: c.min === undefined ? null : c.minExclusive === true ? `> ${c.min}` : c.minExclusive === false ? `>= ${c.min}` : c.min,
    decimals: c.decimals ?? null,
    maxLength: c.maxLength ?? null,
    list: listOf(listKey, c.options),
    formula: c.expr === undefined ? null : printExpr(c.expr),
    hint: c.hint?.vi ?? null,
    hintEn: en(c.hint),
    placeholder: c.placeholder ?? null,
    moneyUnit: c.moneyUnit ? MONEY_UNITS[c.moneyUnit][0] : null,
    rateOf: c.rateOf?.vi ?? null,
    rateOfEn: en(c.rateOf),
    maxBytes: c.maxBytes === undefined ? null : printBytes(c.maxBytes),
    width: c.width ?? null,
    year: yes(c.year),
    signed: yes(c.signed),
  });
  for (const s of t.sections) {
    form.push({ type: STRUCTURE.beginSection[0], key: s.key, label: s.title.vi, labelEn: en(s.title), code: s.code, ...applies(s.appliesTo) });
    for (const it of s.items) {
      if (it.kind === 'field' || it.kind === 'computed') {
        const { kind: _kind, appliesTo, ...c } = it;
        void _kind;
        form.push({ ...cell(c as Column, it.key), ...applies(appliesTo) });
      } else {
        const table = it.kind === 'table';
        form.push({
          type: table ? STRUCTURE.beginTable[0] : STRUCTURE.beginRepeat[0],
          key: it.key,
          label: it.label.vi,
          labelEn: en(it.label),
          rowLabel: (table ? it.rowHeader : it.rowLabel).vi,
          rowLabelEn: en(table ? it.rowHeader : it.rowLabel),
          ...(table ? {} : { maxRows: it.maxRows }),
          ...applies(it.appliesTo),
        });
        if (table) {
          for (const r of it.rows) form.push({ type: STRUCTURE.row[0], key: r.key, label: r.label.vi, labelEn: en(r.label) });
          if (it.totalRow) form.push({ type: STRUCTURE.totalRow[0], key: it.totalRow.key, label: it.totalRow.label.vi, labelEn: en(it.totalRow.label) });
        }
        for (const c of it.columns) {
          const group = table ? it.groups?.find((g) => g.columns.includes(c.key)) : undefined;
          form.push({ ...cell(c, c.key), group: group?.label.vi ?? null, groupEn: en(group?.label) });
        }
        form.push({ type: table ? STRUCTURE.endTable[0] : STRUCTURE.endRepeat[0], key: it.key });
      }
    }
    form.push({ type: STRUCTURE.endSection[0], key: s.key });
  }

  // ----- rules
  type R = (typeof RULE_COLUMNS)[number]['key'];
  const rules: Values<R>[] = t.rules.map((r: Rule) => {
    const base: Values<R> = { id: r.id, severity: SEVERITIES[r.severity][0], check: CHECKS[r.check][0], message: r.message.vi, messageEn: en(r.message) };
    switch (r.check) {
      case 'compare':
        return { ...base, forEachRow: r.forEachRow ?? null, target: r.target ?? null, condition: printCondition(r) };
      case 'unique':
        return { ...base, forEachRow: r.table, target: r.column };
      case 'pattern':
        return { ...base, forEachRow: r.table, target: r.column, pattern: r.pattern };
      case 'rangeByUnitType':
        return { ...base, target: r.target, ranges: Object.entries(r.ranges).map(([k, [a, b]]) => `${k}: ${a} đến ${b}`).join('; ') };
      case 'changeFromPrevious':
        return { ...base, threshold: r.threshold, paths: r.paths.join(', ') };
    }
  });

  // ----- consolidation
  type C = (typeof CONSOLIDATION_COLUMNS)[number]['key'];
  const cons: Values<C>[] = [];
  const walk = (g: ConsolidationGroup, at: string) => {
    for (const [key, spec] of Object.entries(g)) {
      if (!isAggregate(spec)) {
        walk(spec, at ? `${at}.${key}` : key);
        continue;
      }
      const kind = (Object.keys(AGGREGATES) as (keyof typeof AGGREGATES)[]).find((k) => k in spec)!;
      const a = spec as ConsolidationAggregate & Record<string, unknown>;
      cons.push({
        group: at || null,
        key,
        aggregate: AGGREGATES[kind][0],
        path: a[kind] as string,
        columns: 'columns' in spec && spec.columns ? spec.columns.join(', ') : null,
        totalRow: 'totalRow' in spec ? yes(spec.totalRow) : null,
        buckets: 'buckets' in spec ? spec.buckets.join(', ') : null,
        bucketLabels: 'bucketLabels' in spec && spec.bucketLabels ? spec.bucketLabels.map((l) => l.vi).join('; ') : null,
        bucketLabelsEn:
          'bucketLabels' in spec && spec.bucketLabels?.some((l) => l.en) ? spec.bucketLabels.map((l) => l.en ?? '').join('; ') : null,
        byUnitType: 'byUnitType' in spec ? yes(spec.byUnitType) : null,
        condition: 'countWhere' in spec ? `${spec.op} ${printWhereValue(spec.value)}` : null,
        label: spec.label?.vi ?? null,
        labelEn: en(spec.label),
      });
    }
  };
  if (t.consolidation) walk(t.consolidation, '');

  const out: SheetData[] = [
    { name: SHEETS.settings.name, rows: [SETTINGS_COLUMNS.map((c) => c.heading), ...settings.map(([k, v]) => [k, v])] },
    sheet(SHEETS.form.name, FORM_COLUMNS, ['type', 'key', 'label'], form),
    sheet(
      SHEETS.choices.name,
      CHOICE_COLUMNS,
      ['list', 'value', 'label'],
      lists.flatMap((l) => l.options.map((o) => ({ list: l.name, value: o.value, label: o.label.vi, labelEn: en(o.label) }))),
    ),
    sheet(SHEETS.rules.name, RULE_COLUMNS, ['id', 'severity', 'check', 'message'], rules),
  ];
  if (t.consolidation) out.push(sheet(SHEETS.consolidation.name, CONSOLIDATION_COLUMNS, ['key', 'aggregate', 'path'], cons));
  return out;
}

function isAggregate(x: ConsolidationGroup | ConsolidationAggregate): x is ConsolidationAggregate {
  return Object.keys(AGGREGATES).some((k) => typeof (x as Record<string, unknown>)[k] === 'string');
}
