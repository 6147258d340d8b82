import { z } from 'zod';

/**
 * The one contract between the renderer and the core. Every call is declared once here with a
 * zod schema for its input and its output. Electron registers it over IPC, server/ over HTTP
 * (POST /api/rpc/<name>), and the renderer calls it through window.api.
 */

export const RoleSchema = z.enum(['commune', 'city']);
export type Role = z.infer<typeof RoleSchema>;
export const LangSchema = z.enum(['vi', 'en']);

export const UnitSchema = z.object({ code: z.string(), type: z.string(), name: z.string() });
export type Unit = z.infer<typeof UnitSchema>;

export const ValuesSchema = z.record(z.string(), z.record(z.string(), z.unknown()));
export const ExplanationsSchema = z.record(z.string(), z.string().max(2000));
export const AsOfSchema = z.record(z.string(), z.string().regex(/^\d{4}-\d{2}-\d{2}$/));

/** The JSON form of a return (DOMAIN.md): what scripts and the command line exchange. */
export const ReturnJsonSchema = z.object({
  template: z.string().min(1),
  templateVersion: z.number().int().positive(),
  unit: z.string().min(1),
  period: z.string().min(1),
  revision: z.number().int().positive().optional(),
  values: ValuesSchema,
  explanations: ExplanationsSchema.optional(),
  asOf: AsOfSchema.optional(),
});
export type ReturnJson = z.infer<typeof ReturnJsonSchema>;

export const AppInfoSchema = z.object({
  appVersion: z.string(),
  role: RoleSchema.nullable(),
  unit: UnitSchema.nullable(),
  lang: LangSchema,
  today: z.string(),
  templates: z.array(z.object({ id: z.string(), version: z.number(), title: z.string() })),
  unitListVersion: z.string(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const PeriodStatusSchema = z.enum(['not_started', 'draft', 'submitted', 'overdue']);
export const PeriodRowSchema = z.object({
  code: z.string(),
  label: z.string(),
  start: z.string(),
  end: z.string(),
  deadline: z.string(),
  status: PeriodStatusSchema,
  /** true when a draft has changes not yet submitted (also when a revision exists) */
  hasDraft: z.boolean(),
  revision: z.number().nullable(),
  submittedAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
  late: z.boolean(),
});
export type PeriodRow = z.infer<typeof PeriodRowSchema>;

export const RevisionInfoSchema = z.object({
  revision: z.number(),
  packageId: z.string(),
  submittedAt: z.string(),
  submittedBy: z.string(),
  hash: z.string(),
  late: z.boolean(),
});
export type RevisionInfo = z.infer<typeof RevisionInfoSchema>;

export const ReturnStateSchema = z.object({
  returnId: z.number(),
  template: z.string(),
  templateVersion: z.number(),
  unit: UnitSchema,
  period: z.string(),
  values: ValuesSchema,
  explanations: ExplanationsSchema,
  asOf: AsOfSchema,
  draftVersion: z.number(),
  savedAt: z.string().nullable(),
  revisions: z.array(RevisionInfoSchema),
  /** The computed view of the same unit's latest submitted return of an earlier period, for the change rule. */
  previous: ValuesSchema.nullable(),
  previousPeriod: z.string().nullable(),
});
export type ReturnState = z.infer<typeof ReturnStateSchema>;

export const ChangeSchema = z.object({
  path: z.string(),
  label: z.string(),
  before: z.unknown(),
  after: z.unknown(),
});
export type Change = z.infer<typeof ChangeSchema>;

export const IssueSchema = z.object({
  id: z.string(),
  severity: z.enum(['error', 'warning']),
  path: z.string(),
  cell: z.string(),
  section: z.string(),
  message: z.string(),
});

export const FileSchema = z.object({ fileName: z.string().max(260), data: z.string().describe('base64') });

const empty = z.object({}).strict();

export const contract = {
  'app.info': { input: empty, output: AppInfoSchema },
  'app.setup': {
    input: z.object({ role: RoleSchema, unitCode: z.string().optional() }).strict(),
    output: AppInfoSchema,
  },
  'app.setLanguage': { input: z.object({ lang: LangSchema }).strict(), output: AppInfoSchema },
  'units.list': { input: empty, output: z.object({ version: z.string(), units: z.array(UnitSchema) }) },
  'templates.get': {
    input: z.object({ id: z.string(), version: z.number().int() }).strict(),
    output: z.unknown().describe('the template data file, validated by shared/template/schema'),
  },
  'periods.list': { input: z.object({ template: z.string() }).strict(), output: z.array(PeriodRowSchema) },
  'returns.open': {
    input: z.object({ template: z.string(), period: z.string() }).strict(),
    output: ReturnStateSchema,
  },
  'returns.saveDraft': {
    input: z
      .object({
        returnId: z.number().int(),
        values: ValuesSchema,
        explanations: ExplanationsSchema,
        asOf: AsOfSchema,
      })
      .strict(),
    output: z.object({ savedAt: z.string(), draftVersion: z.number() }),
  },
  'returns.submit': {
    input: z.object({ returnId: z.number().int(), submittedBy: z.string().max(100).optional() }).strict(),
    output: RevisionInfoSchema,
  },
  'returns.history': { input: z.object({ returnId: z.number().int() }).strict(), output: z.array(RevisionInfoSchema) },
  'returns.diff': {
    input: z
      .object({ returnId: z.number().int(), from: z.number().int(), to: z.union([z.number().int(), z.literal('draft')]) })
      .strict(),
    output: z.array(ChangeSchema),
  },
  'package.export': {
    input: z.object({ returnId: z.number().int(), revision: z.number().int() }).strict(),
    output: FileSchema,
  },
  'package.import': {
    input: z.object({ returnId: z.number().int(), file: FileSchema }).strict(),
    output: z.object({
      state: ReturnStateSchema,
      changes: z.array(ChangeSchema),
      errors: z.array(IssueSchema),
      warnings: z.array(IssueSchema),
      editedOutside: z.boolean(),
    }),
  },
} as const;

export type Contract = typeof contract;
export type CallName = keyof Contract;
export type Input<N extends CallName> = z.input<Contract[N]['input']>;
export type Output<N extends CallName> = z.output<Contract[N]['output']>;

/** What the renderer talks to, whatever the transport. */
export interface Api {
  call<N extends CallName>(name: N, input: Input<N>): Promise<Output<N>>;
}

/** A handler map implementing the contract; core provides one, transports register it. */
export type Handlers = { [N in CallName]: (input: z.output<Contract[N]['input']>) => Promise<Output<N>> | Output<N> };

export function isCallName(name: string): name is CallName {
  return Object.prototype.hasOwnProperty.call(contract, name);
}
