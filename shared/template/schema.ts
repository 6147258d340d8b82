import { z } from 'zod';

export const LocalTextSchema = z.object({ vi: z.string().min(1), en: z.string().optional() });

/**
 * Expressions for computed cells. A small, closed set of operations so that the same
 * expression can be evaluated in JavaScript and written to Excel as a formula.
 */
export type Expr =
  | number
  | { ref: string }
  | { col: string }
  | { sum: Expr[] }
  | { sub: [Expr, Expr] }
  | { mul: [Expr, Expr] }
  | { div: [Expr, Expr] }
  | { max: Expr[] }
  | { min: Expr[] }
  | { count: string; where?: { column: string; equals: string } }
  | { band: Expr; bands: { atLeast: number; value: string }[]; else: string }
  | { periodYear: true };

export const ExprSchema: z.ZodType<Expr> = z.lazy(() =>
  z.union([
    z.number(),
    z.object({ ref: z.string() }).strict(),
    z.object({ col: z.string() }).strict(),
    z.object({ sum: z.array(ExprSchema).min(1) }).strict(),
    z.object({ sub: z.tuple([ExprSchema, ExprSchema]) }).strict(),
    z.object({ mul: z.tuple([ExprSchema, ExprSchema]) }).strict(),
    z.object({ div: z.tuple([ExprSchema, ExprSchema]) }).strict(),
    z.object({ max: z.array(ExprSchema).min(1) }).strict(),
    z.object({ min: z.array(ExprSchema).min(1) }).strict(),
    z
      .object({ count: z.string(), where: z.object({ column: z.string(), equals: z.string() }).optional() })
      .strict(),
    z
      .object({
        band: ExprSchema,
        bands: z.array(z.object({ atLeast: z.number(), value: z.string() })).min(1),
        else: z.string(),
      })
      .strict(),
    z.object({ periodYear: z.literal(true) }).strict(),
  ]),
);

/**
 * The value of a cell in a return's values, by type:
 * integer | decimal | rate (computed, a fraction: 0.9785 shows as 97,85%) → number;
 * text (one line) | longtext (paragraphs: results, difficulties, proposals) → string;
 * boolean → true/false; enum → the option's value; multi → option values (string[]);
 * date → "YYYY-MM-DD"; money → number in the item's moneyUnit (đồng or triệu đồng);
 * file → an AttachmentRef (the bytes are kept beside the revision, not in the values).
 */
export const ValueTypeSchema = z.enum([
  'integer', 'decimal', 'rate', 'text', 'longtext', 'boolean', 'enum', 'multi', 'date', 'money', 'file',
]);
export type ValueType = z.infer<typeof ValueTypeSchema>;

export const OptionSchema = z.object({ value: z.string().min(1), label: LocalTextSchema });

/** What a file cell holds: the attachment's name, size, type and content hash (the bytes live beside the revision). */
export const AttachmentRefSchema = z
  .object({
    name: z.string().min(1).max(255),
    size: z.number().int().nonnegative(),
    mime: z.enum(['application/pdf', 'image/png', 'image/jpeg']),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type AttachmentRef = z.infer<typeof AttachmentRefSchema>;

/**
 * Which units an item or section applies to (absent: every unit). Both conditions must hold:
 * - `unitTypes`: the unit's type is one of these (xã, phường, đặc khu);
 * - `attribute`: the unit list's column of that name (Unit.attributes) holds one of `values`, or,
 *   without `values`, a yes ("1", "có", "x", "true"; case-insensitive).
 * For a unit it does not apply to, the item is hidden in the form, never required or checked,
 * printed as "Không áp dụng" and left out of the consolidation (the unit is not counted for it).
 */
export const AppliesToSchema = z
  .object({
    unitTypes: z.array(z.string().min(1)).min(1).optional(),
    attribute: z.string().regex(/^[a-z][a-z0-9_]*$/).optional(),
    values: z.array(z.string()).min(1).optional(),
  })
  .strict();
export type AppliesTo = z.infer<typeof AppliesToSchema>;

const cellProps = {
  key: z.string().regex(/^[a-z][a-z0-9_]*$/),
  label: LocalTextSchema,
  type: ValueTypeSchema,
  required: z.boolean().optional(),
  min: z.number().optional(),
  minExclusive: z.boolean().optional(),
  decimals: z.number().int().min(0).max(6).optional(),
  maxLength: z.number().int().positive().optional(),
  options: z.array(OptionSchema).optional(),
  signed: z.boolean().optional(),
  year: z.boolean().optional(),
  placeholder: z.string().optional(),
  width: z.number().positive().optional(),
  expr: ExprSchema.optional(),
  /** money: the unit amounts are entered and shown in (default đồng). */
  moneyUnit: z.enum(['dong', 'trieu_dong']).optional(),
  /** rate: what the percentage is of, shown beside it ("trên tổng số hồ sơ đã giải quyết"). */
  rateOf: LocalTextSchema.optional(),
  /** file: the largest attachment accepted, in bytes (default 5 MB; at most 20 MB). */
  maxBytes: z.number().int().positive().max(20 * 1024 * 1024).optional(),
  /** A short help text shown under the cell (what to write, where the figure comes from). */
  hint: LocalTextSchema.optional(),
};

export const ColumnSchema = z.object(cellProps).strict();
export type Column = z.infer<typeof ColumnSchema>;

export const FieldItemSchema = z.object({ kind: z.literal('field'), ...cellProps, appliesTo: AppliesToSchema.optional() }).strict();
export const ComputedItemSchema = z
  .object({ kind: z.literal('computed'), ...cellProps, expr: ExprSchema, appliesTo: AppliesToSchema.optional() })
  .strict();
export const TableItemSchema = z
  .object({
    kind: z.literal('table'),
    key: cellProps.key,
    label: LocalTextSchema,
    rowHeader: LocalTextSchema,
    rows: z.array(z.object({ key: cellProps.key, label: LocalTextSchema })).min(1),
    totalRow: z.object({ key: cellProps.key, label: LocalTextSchema }).optional(),
    groups: z.array(z.object({ label: LocalTextSchema, columns: z.array(z.string()).min(1) })).optional(),
    columns: z.array(ColumnSchema).min(1),
    appliesTo: AppliesToSchema.optional(),
  })
  .strict();
export const RepeatItemSchema = z
  .object({
    kind: z.literal('repeat'),
    key: cellProps.key,
    label: LocalTextSchema,
    rowLabel: LocalTextSchema,
    maxRows: z.number().int().positive(),
    columns: z.array(ColumnSchema).min(1),
    appliesTo: AppliesToSchema.optional(),
  })
  .strict();

export const ItemSchema = z.discriminatedUnion('kind', [
  FieldItemSchema,
  ComputedItemSchema,
  TableItemSchema,
  RepeatItemSchema,
]);
export type FieldItem = z.infer<typeof FieldItemSchema>;
export type ComputedItem = z.infer<typeof ComputedItemSchema>;
export type TableItem = z.infer<typeof TableItemSchema>;
export type RepeatItem = z.infer<typeof RepeatItemSchema>;
export type Item = z.infer<typeof ItemSchema>;

export const SectionSchema = z
  .object({
    key: cellProps.key,
    code: z.string(),
    title: LocalTextSchema,
    items: z.array(ItemSchema).min(1),
    appliesTo: AppliesToSchema.optional(),
  })
  .strict();
export type Section = z.infer<typeof SectionSchema>;

const ruleBase = {
  id: z.string().regex(/^[a-z][a-z0-9_.]*$/),
  severity: z.enum(['error', 'warning']),
  message: LocalTextSchema,
};
export const RuleSchema = z.discriminatedUnion('check', [
  z
    .object({
      ...ruleBase,
      check: z.literal('compare'),
      forEachRow: z.string().optional(),
      /**
       * The cell to fix when the rule fails: a column of the row with forEachRow, a path otherwise.
       * Optional: without it, the last cell the rule reads (rules.ts ruleCell).
       */
      target: z.string().optional(),
      left: ExprSchema,
      op: z.enum(['<=', '<', '=', '>=', '>']),
      right: ExprSchema,
    })
    .strict(),
  z.object({ ...ruleBase, check: z.literal('unique'), table: z.string(), column: z.string() }).strict(),
  z
    .object({ ...ruleBase, check: z.literal('pattern'), table: z.string(), column: z.string(), pattern: z.string() })
    .strict(),
  z
    .object({
      ...ruleBase,
      check: z.literal('rangeByUnitType'),
      target: z.string(),
      ranges: z.record(z.string(), z.tuple([z.number(), z.number()])),
    })
    .strict(),
  z
    .object({
      ...ruleBase,
      check: z.literal('changeFromPrevious'),
      threshold: z.number().positive(),
      paths: z.array(z.string()).min(1),
    })
    .strict(),
]);
export type Rule = z.infer<typeof RuleSchema>;

/**
 * What the city's consolidation (Biểu tổng hợp) adds up, as data: a tree whose inner nodes name
 * the output keys and whose leaves are one of a few aggregations over the units' computed views
 * (shared/consolidate.ts evaluates it; paths are section.item[.row[.column]]):
 * - `{ sum: path }`: a number summed over the units (a field or computed item), or a table /
 *   table row / table cell of the summed table (input columns summed, computed columns evaluated
 *   by the template's own expressions on the sums); `columns` picks columns, `totalRow: false`
 *   leaves a table's total row out;
 * - `{ fromSums: table.row.column }`: a computed column (a rate) evaluated on the summed row;
 * - `{ countRows: repeat }`: rows of a repeating table over all units;
 * - `{ countBy: enum path, byUnitType? }`: units per option value (per unit type, then option);
 * - `{ distribution: integer path, buckets: ["1", "2", ">5"], bucketLabels? }`: units per value ("n" exact, ">n" above);
 *   `bucketLabels`, one per bucket, names them on the screen and in the workbook ("Đủ định mức", "Thiếu 1 xe");
 * - `{ countTrue: boolean path }`: units answering yes;
 * - `{ countWhere: path, op, value, byUnitType? }`: units whose value meets the condition
 *   ("55 of 114 units had any cross-boundary files": `{ countWhere: "…cross_boundary", op: ">", value: 0 }`);
 * - `{ stats: number path, byUnitType? }`: minimum, maximum and average over the units (per unit type);
 * - `{ texts: text or longtext path }`: the narrative answers listed by unit (not a number).
 * Every aggregate may carry a `label` for the screen and the workbook; without one, the label of
 * the item it reads (cellLabel).
 */
type AggregateLabel = { label?: z.infer<typeof LocalTextSchema> };
export type ConsolidationAggregate = AggregateLabel &
  (
    | { sum: string; columns?: string[]; totalRow?: boolean }
    | { fromSums: string }
    | { countRows: string }
    | { countBy: string; byUnitType?: boolean }
    | { distribution: string; buckets: string[]; bucketLabels?: z.infer<typeof LocalTextSchema>[] }
    | { countTrue: string }
    | { countWhere: string; op: CompareOp; value: number | string | boolean; byUnitType?: boolean }
    | { stats: string; byUnitType?: boolean }
    | { texts: string }
  );
export type CompareOp = '<=' | '<' | '=' | '!=' | '>=' | '>';
export interface ConsolidationGroup {
  [key: string]: ConsolidationAggregate | ConsolidationGroup;
}

const pathSchema = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/);
const label = { label: LocalTextSchema.optional() };
export const ConsolidationAggregateSchema: z.ZodType<ConsolidationAggregate> = z.union([
  z.object({ sum: pathSchema, columns: z.array(z.string()).min(1).optional(), totalRow: z.boolean().optional(), ...label }).strict(),
  z.object({ fromSums: pathSchema, ...label }).strict(),
  z.object({ countRows: pathSchema, ...label }).strict(),
  z.object({ countBy: pathSchema, byUnitType: z.boolean().optional(), ...label }).strict(),
  z
    .object({ distribution: pathSchema, buckets: z.array(z.string().regex(/^>?\d+$/)).min(1), bucketLabels: z.array(LocalTextSchema).optional(), ...label })
    .strict(),
  z.object({ countTrue: pathSchema, ...label }).strict(),
  z
    .object({
      countWhere: pathSchema,
      op: z.enum(['<=', '<', '=', '!=', '>=', '>']),
      value: z.union([z.number(), z.string(), z.boolean()]),
      byUnitType: z.boolean().optional(),
      ...label,
    })
    .strict(),
  z.object({ stats: pathSchema, byUnitType: z.boolean().optional(), ...label }).strict(),
  z.object({ texts: pathSchema, ...label }).strict(),
]);
export const ConsolidationGroupSchema: z.ZodType<ConsolidationGroup> = z.lazy(() =>
  z.record(z.string().min(1), z.union([ConsolidationAggregateSchema, ConsolidationGroupSchema])),
);

export const TemplateSchema = z
  .object({
    id: z.string().regex(/^[A-Z0-9-]+$/),
    version: z.number().int().positive(),
    title: LocalTextSchema,
    receivingBody: LocalTextSchema,
    periodTypes: z.array(z.enum(['month', 'quarter', 'half', 'year'])).min(1),
    deadlineDay: z.number().int().min(1).max(28),
    sections: z.array(SectionSchema).min(1),
    rules: z.array(RuleSchema),
    /**
     * The text fields that name the people who sign (the signature block of the package and of the
     * print; the default "người nộp"). Optional: a template without them prints empty signature lines.
     */
    signers: z.object({ preparer: pathSchema.optional(), head: pathSchema.optional() }).strict().optional(),
    /** What the city's consolidation adds up (optional: a template without it has completeness only). */
    consolidation: ConsolidationGroupSchema.optional(),
  })
  .strict();
export type Template = z.infer<typeof TemplateSchema>;
