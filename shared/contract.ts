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

const communeContract = {
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


// ---- The city role (issue 3): import, completeness, review, consolidation, unit lists ----

export const ImportOutcomeSchema = z.enum(['imported', 'duplicate', 'superseded', 'history', 'conflict', 'refused']);
export type ImportOutcome = z.infer<typeof ImportOutcomeSchema>;
export const ImportResultSchema = z.object({
  /** The file name as the clerk gave it; for a .zip, "archive.zip › inner/name.xlsx". */
  file: z.string(),
  outcome: ImportOutcomeSchema,
  /** Vietnamese sentence: what happened, and for a refusal what to do. */
  message: z.string(),
  unit: z.string().nullable(),
  unitName: z.string().nullable(),
  period: z.string().nullable(),
  revision: z.number().nullable(),
  packageId: z.string().nullable(),
  /** For 'superseded': the revision this one replaced as current. */
  supersededRevision: z.number().nullable(),
  /** For 'conflict': what to pass to city.resolveConflict. */
  conflictId: z.number().nullable(),
  editedOutside: z.boolean(),
  errors: z.number(),
  warnings: z.number(),
});
export type ImportResult = z.infer<typeof ImportResultSchema>;

export const ReviewStateSchema = z.enum(['received', 'accepted', 'returned']);
export const UnitPeriodStateSchema = z.enum(['missing', 'received', 'accepted', 'returned']);

export const CompletenessRowSchema = z.object({
  unit: UnitSchema,
  state: UnitPeriodStateSchema,
  revision: z.number().nullable(),
  submittedAt: z.string().nullable(),
  late: z.boolean(),
  editedOutside: z.boolean(),
  errors: z.number(),
  warnings: z.number(),
  reason: z.string().nullable(),
});
export type CompletenessRow = z.infer<typeof CompletenessRowSchema>;

export const CityRevisionSchema = z.object({
  revision: z.number(),
  packageId: z.string(),
  submittedAt: z.string().nullable(),
  importedAt: z.string(),
  current: z.boolean(),
  review: ReviewStateSchema,
  reason: z.string().nullable(),
  decidedAt: z.string().nullable(),
  editedOutside: z.boolean(),
  late: z.boolean(),
});

const unitPeriod = { template: z.string(), period: z.string(), unit: z.string() };

export const cityContract = {
  'city.import': {
    input: z.object({ files: z.array(FileSchema).min(1).max(50), dryRun: z.boolean() }).strict(),
    output: z.object({ results: z.array(ImportResultSchema) }),
  },
  'city.resolveConflict': {
    input: z.object({ conflictId: z.number().int(), keep: z.enum(['existing', 'incoming']) }).strict(),
    output: z.object({ message: z.string() }),
  },
  'city.periods': {
    input: z.object({ template: z.string() }).strict(),
    output: z.array(z.object({ code: z.string(), label: z.string(), deadline: z.string(), submitted: z.number(), expected: z.number() })),
  },
  'city.completeness': {
    input: z.object({ template: z.string(), period: z.string() }).strict(),
    output: z.object({
      unitListVersion: z.string(),
      deadline: z.string(),
      counts: z.object({ expected: z.number(), submitted: z.number(), on_time: z.number(), late: z.number(), missing: z.number(), accepted: z.number(), returned: z.number() }),
      rows: z.array(CompletenessRowSchema),
      /** Returns from units that are not in the current unit list (merged or renamed since). */
      unlisted: z.array(CompletenessRowSchema),
    }),
  },
  'city.review.get': {
    input: z.object(unitPeriod).strict(),
    output: z.object({
      unit: UnitSchema,
      templateVersion: z.number(),
      period: z.string(),
      revision: z.number(),
      values: ValuesSchema,
      explanations: ExplanationsSchema,
      asOf: AsOfSchema,
      errors: z.array(IssueSchema),
      warnings: z.array(IssueSchema),
      revisions: z.array(CityRevisionSchema),
    }),
  },
  'city.review.decide': {
    input: z.object({ ...unitPeriod, revision: z.number().int(), decision: z.enum(['accepted', 'returned']), reason: z.string().max(2000).optional() }).strict(),
    output: z.object({ message: z.string() }),
  },
  'city.review.diff': {
    input: z.object({ ...unitPeriod, from: z.number().int(), to: z.number().int() }).strict(),
    output: z.array(ChangeSchema),
  },
  'city.consolidation': {
    input: z.object({ template: z.string(), period: z.string() }).strict(),
    output: z.unknown().describe('the Consolidation of shared/consolidate.ts'),
  },
  'city.consolidation.export': {
    input: z.object({ template: z.string(), period: z.string() }).strict(),
    output: FileSchema,
  },
  'units.import': {
    input: z.object({ file: FileSchema }).strict(),
    output: z.object({
      version: z.string(),
      count: z.number(),
      added: z.array(UnitSchema),
      removed: z.array(UnitSchema),
      renamed: z.array(z.object({ code: z.string(), before: z.string(), after: z.string() })),
    }),
  },
  'units.versions': {
    input: z.object({}).strict(),
    output: z.array(z.object({ version: z.string(), importedAt: z.string(), count: z.number(), current: z.boolean() })),
  },
} as const;

// ---- Delivery (issue 4): the commune outbox, the city pull, the connection ----

export const DeliveryStateSchema = z.enum(['queued', 'sending', 'sent', 'accepted', 'returned']);
export const ConnectionSchema = z.object({
  configured: z.boolean(),
  serverUrl: z.string().nullable(),
  /** Last time the server answered (any answer), as the server's clock said; null if never. */
  lastContactAt: z.string().nullable(),
  /** Vietnamese sentence about the last failure, saying whether to wait or act; null after a success. */
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
});
export const OutboxItemSchema = z.object({
  returnId: z.number(),
  period: z.string(),
  revision: z.number(),
  packageId: z.string(),
  state: DeliveryStateSchema,
  attempts: z.number(),
  sentAt: z.string().nullable(),
  decidedAt: z.string().nullable(),
  reason: z.string().nullable(),
  /**
   * Why this item is not being sent any more (the server refused it for good: not a valid package,
   * another unit's package, too large): a Vietnamese sentence saying what to do. Absent or null
   * while it simply waits for the next attempt.
   */
  error: z.string().nullable().optional(),
});
export const DeliverySettingsInputSchema = z
  .object({ serverUrl: z.string().url().max(500), token: z.string().min(10).max(500) })
  .strict();

export const deliveryContract = {
  'delivery.status': {
    input: z.object({}).strict(),
    output: z.object({ connection: ConnectionSchema, items: z.array(OutboxItemSchema) }),
  },
  'delivery.configure': {
    input: z.union([DeliverySettingsInputSchema, z.object({ file: FileSchema }).strict()]),
    output: ConnectionSchema,
  },
  'delivery.sendNow': {
    input: z.object({}).strict(),
    output: z.object({ connection: ConnectionSchema, items: z.array(OutboxItemSchema) }),
  },
  'city.pull': {
    input: z.object({}).strict(),
    output: z.object({ connection: ConnectionSchema, results: z.array(ImportResultSchema) }),
  },
} as const;

export const contract = { ...communeContract, ...cityContract, ...deliveryContract } as const;

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
