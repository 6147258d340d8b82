import { z } from 'zod';
import { AddresseesSchema, DueWordingSchema, visibleText, RequestEditionSchema, RequestInputSchema, RequestRefSchema, RequestStateSchema } from './requests.js';
import { AttachmentRefSchema } from './template/schema.js';

/**
 * The one contract between the renderer and the core. Every call is declared once here with a
 * zod schema for its input and its output. Electron registers it over IPC, server/ over HTTP
 * (POST /api/rpc/<name>), and the renderer calls it through window.api.
 */

export const RoleSchema = z.enum(['commune', 'city']);
export type Role = z.infer<typeof RoleSchema>;
export const LangSchema = z.enum(['vi', 'en']);

export const UnitSchema = z.object({
  code: z.string(),
  type: z.string(),
  name: z.string(),
  /** The first period the unit reports (e.g. 2026-Q3), when the city's list sets it (column first_period). */
  firstPeriod: z.string().optional(),
  /**
   * The unit list's other columns (e.g. co_hdnd: "1"/"0"), by column name: what a template's
   * appliesTo.attribute reads (shared/template/schema.ts AppliesTo).
   */
  attributes: z.record(z.string(), z.string()).optional(),
});
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
  /** A commune's first period (confirmed at setup): earlier periods are listed as before_start, never overdue. */
  firstPeriod: z.string().nullable().optional(),
  /** The standing reports (resources/requests/standing.json) and the department that consolidates each (issue 9). */
  standing: z.array(z.object({ template: z.string(), department: z.string() })).optional(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

/** before_start: a period before the unit's first period (not expected, never overdue). */
export const PeriodStatusSchema = z.enum(['not_started', 'draft', 'submitted', 'overdue', 'before_start']);
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
  /** The request this return answers (issue 9), for the editor's header and the printed form; null: none (a standing report). */
  request: z
    .object({
      id: z.string(),
      edition: z.number(),
      title: z.string(),
      /** "Số 1234/UBND-NVKTGS ngày 10/06/2026". */
      refLine: z.string(),
      summary: z.string(),
      /** "Kính gửi: UBND thành phố (qua Sở Tài chính)". */
      addressee: z.string(),
      /** "chậm nhất trong ngày 24/6/2026". */
      deadlineText: z.string(),
      lastDay: z.string(),
      instruction: z.string().nullable(),
    })
    .nullable()
    .optional(),
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
  /** The cell to fix (issue 7: every rule names its cell, e.g. section.repeat.0.column); `cell` is the same. */
  path: z.string(),
  cell: z.string(),
  /** The table or repeat row of that cell, when it is in one. */
  row: z.string().optional(),
  section: z.string(),
  message: z.string(),
});

export const DraftChangeSchema = z.object({ path: z.string().min(1).max(300), before: z.unknown(), after: z.unknown() }).strict();
export const SaveConflictSchema = z.object({ path: z.string(), label: z.string(), mine: z.unknown(), theirs: z.unknown() });
export type SaveConflict = z.infer<typeof SaveConflictSchema>;

export const FileSchema = z.object({ fileName: z.string().max(260), data: z.string().describe('base64') });

export const ImportPreviewSchema = z.object({
  changes: z.array(ChangeSchema),
  errors: z.array(IssueSchema),
  warnings: z.array(IssueSchema),
  editedOutside: z.boolean(),
  /** The revision the file holds; null for a draft file ("BẢN NHÁP — CHƯA NỘP"). */
  fileRevision: z.number().nullable(),
  fileDraft: z.boolean(),
  latestRevision: z.number().nullable(),
  /** The file is an older revision than the latest one submitted. */
  older: z.boolean(),
  /** The draft the preview was made against (pass it to package.import). */
  draftVersion: z.number(),
});
export type ImportPreview = z.infer<typeof ImportPreviewSchema>;

export const KeptDraftSchema = z.object({
  id: z.number(),
  createdAt: z.string(),
  /** Vietnamese: why it was kept ("Trước khi nhập tệp …"). */
  reason: z.string(),
  /** How many cells differ from the current draft. */
  changes: z.number(),
});
export type KeptDraft = z.infer<typeof KeptDraftSchema>;

const empty = z.object({}).strict();

const communeContract = {
  'app.info': { input: empty, output: AppInfoSchema },
  'app.setup': {
    input: z.object({ role: RoleSchema, unitCode: z.string().optional(), firstPeriod: z.string().optional() }).strict(),
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
    /**
     * Issue 7: a save names the cells it changes and the draft version its window started from.
     * Each change is a compare-and-set on one unit (shared/draft.ts: a field, a table cell, a whole
     * repeat list, an as-of date, an explanation): written when the stored value equals `before`
     * (or already equals `after`), otherwise reported as a conflict and not written.
     */
    input: z
      .object({
        returnId: z.number().int(),
        baseVersion: z.number().int().min(0),
        changes: z.array(DraftChangeSchema).max(5000),
      })
      .strict(),
    output: z.object({
      savedAt: z.string(),
      draftVersion: z.number(),
      /** Cells another writer changed first: not written; `theirs` is what is stored. */
      conflicts: z.array(SaveConflictSchema),
      /** Cells changed by others since baseVersion (every cell when that is not known), with their stored value. */
      others: z.array(z.object({ path: z.string(), label: z.string(), value: z.unknown() })),
    }),
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
    /** A submitted revision as it was sent, or (draft: true) the current draft marked "BẢN NHÁP — CHƯA NỘP". */
    input: z
      .object({ returnId: z.number().int(), revision: z.number().int().optional(), draft: z.literal(true).optional() })
      .strict(),
    output: FileSchema,
  },
  /** What importing a file would change, without changing anything (issue 7 item 3). */
  'package.importPreview': {
    input: z.object({ returnId: z.number().int(), file: FileSchema }).strict(),
    output: ImportPreviewSchema,
  },
  /** The drafts kept before an import or a restore, newest first. */
  'returns.drafts': {
    input: z.object({ returnId: z.number().int() }).strict(),
    output: z.array(KeptDraftSchema),
  },
  /** A kept draft becomes the current draft; the draft it replaces is kept in turn. */
  'returns.restoreDraft': {
    input: z.object({ returnId: z.number().int(), backupId: z.number().int() }).strict(),
    output: ReturnStateSchema,
  },
  'package.import': {
    /** draftVersion: the draft the preview was made against; a draft changed since is not overwritten. */
    input: z.object({ returnId: z.number().int(), file: FileSchema, draftVersion: z.number().int().optional() }).strict(),
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
  /** The template and version the package was made on (known once the file is read): a zip may mix templates. */
  template: z.string().nullable().optional(),
  templateVersion: z.number().nullable().optional(),
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
  /** Conflicts of this unit's return waiting for the clerk (issue 7 item 8). */
  conflicts: z.number(),
});
export type CompletenessRow = z.infer<typeof CompletenessRowSchema>;

/** One package of a conflict, as the clerk compares them. */
export const ConflictPackageSchema = z.object({
  packageId: z.string(),
  fileName: z.string(),
  importedAt: z.string(),
  submittedAt: z.string().nullable(),
  submittedBy: z.string().nullable(),
  editedOutside: z.boolean(),
  late: z.boolean(),
});
/** Two different packages with the same revision of a return, waiting until the clerk keeps one (issue 7 item 8). */
export const CityConflictSchema = z.object({
  id: z.number(),
  template: z.string(),
  unit: z.string(),
  unitName: z.string(),
  period: z.string(),
  revision: z.number(),
  createdAt: z.string(),
  existing: ConflictPackageSchema,
  incoming: ConflictPackageSchema,
  /** The cells that differ, from the package already here to the incoming one. */
  changes: z.array(ChangeSchema),
});
export type CityConflict = z.infer<typeof CityConflictSchema>;

/** A package the city's pull fetched but could not import; it is tried again on every pull (issue 7 item 11). */
export const PullRefusedSchema = z.object({
  packageId: z.string(),
  unit: z.string(),
  period: z.string(),
  revision: z.number(),
  fileName: z.string(),
  /** The Vietnamese reason of the refusal and what to do. */
  reason: z.string(),
  refusedAt: z.string(),
  attempts: z.number(),
});

export const CityRevisionSchema = z.object({
  revision: z.number(),
  packageId: z.string(),
  submittedAt: z.string().nullable(),
  importedAt: z.string(),
  current: z.boolean(),
  review: ReviewStateSchema,
  reason: z.string().nullable(),
  decidedAt: z.string().nullable(),
  /** The city user who made the decision (issue 9), when the city has users. */
  decidedBy: z.string().optional(),
  editedOutside: z.boolean(),
  late: z.boolean(),
  /** The template version this revision was submitted on (a period may mix versions). */
  templateVersion: z.number().optional(),
});

const unitPeriod = { template: z.string(), period: z.string(), unit: z.string() };

/** What replacing (or restoring) the unit list changes, or would change (dryRun). */
export const UnitListChangeSchema = z.object({
  version: z.string(),
  count: z.number(),
  added: z.array(UnitSchema),
  removed: z.array(UnitSchema),
  renamed: z.array(z.object({ code: z.string(), before: z.string(), after: z.string() })),
  /** Units kept whose first period is set, moved or cleared (null: none, expected in every period). */
  firstPeriods: z
    .array(z.object({ code: z.string(), name: z.string(), before: z.string().nullable(), after: z.string().nullable() }))
    .optional(),
  /** Units kept whose attributes (the list's other columns, e.g. co_hdnd) change (null: none). */
  attributes: z
    .array(
      z.object({
        code: z.string(),
        name: z.string(),
        before: z.record(z.string(), z.string()).nullable(),
        after: z.record(z.string(), z.string()).nullable(),
      }),
    )
    .optional(),
  /** true: a preview, nothing was changed. */
  dryRun: z.boolean().optional(),
  /** The current list before the change, and its size. */
  currentVersion: z.string().optional(),
  currentCount: z.number().optional(),
  /** A Vietnamese sentence when more than a tenth of the current units would disappear: confirm again (confirmRemovals). */
  askAgain: z.string().nullable().optional(),
});

export const cityContract = {
  'city.import': {
    input: z.object({ files: z.array(FileSchema).min(1).max(50), dryRun: z.boolean() }).strict(),
    output: z.object({ results: z.array(ImportResultSchema) }),
  },
  'city.resolveConflict': {
    input: z.object({ conflictId: z.number().int(), keep: z.enum(['existing', 'incoming']) }).strict(),
    output: z.object({ message: z.string() }),
  },
  /** The conflicts waiting for the clerk, of a period or a unit's return if given. */
  'city.conflicts': {
    input: z.object({ template: z.string(), period: z.string().optional(), unit: z.string().optional() }).strict(),
    output: z.array(CityConflictSchema),
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
      /** Conflicts of this period waiting for the clerk (issue 7 item 8). */
      conflicts: z.number(),
      rows: z.array(CompletenessRowSchema),
      /** Returns from units that are not in the current unit list (merged or renamed since). */
      unlisted: z.array(CompletenessRowSchema),
      /** The current unit list; differs from unitListVersion when the period keeps the list it was first used with. */
      currentUnitListVersion: z.string().optional(),
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
    input: z
      .object({
        file: FileSchema,
        /** Only compare with the current list (the preview); nothing changes. */
        dryRun: z.boolean().optional(),
        /** The clerk confirmed again that many units disappear (see UnitListChangeSchema.askAgain). */
        confirmRemovals: z.boolean().optional(),
      })
      .strict(),
    output: UnitListChangeSchema,
  },
  'units.versions': {
    input: z.object({}).strict(),
    output: z.array(
      z.object({
        version: z.string(),
        importedAt: z.string(),
        count: z.number(),
        current: z.boolean(),
        source: z.string().optional(),
        /** The list's attribute columns (co_hdnd, …), what templates' appliesTo can name. */
        attributes: z.array(z.string()).optional(),
      }),
    ),
  },
  /** A version of the unit list as CSV (UTF-8 with BOM, columns code,type,name,first_period); the current one by default. */
  'units.export': {
    input: z.object({ version: z.string().optional() }).strict(),
    output: FileSchema,
  },
  /** Make an earlier version current again, as a new version equal to it (a preview first with dryRun). */
  'units.restore': {
    input: z.object({ version: z.string(), dryRun: z.boolean().optional(), confirmRemovals: z.boolean().optional() }).strict(),
    output: UnitListChangeSchema,
  },
  /** Move a period to the current unit list (its completeness and consolidation use it from now on). */
  'city.periodList.useCurrent': {
    input: z.object({ template: z.string(), period: z.string() }).strict(),
    output: z.object({ message: z.string(), unitListVersion: z.string() }),
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
  /** The city fetched the package but could not import it: its reason (issue 7 item 11); null once imported. */
  cityRefusal: z.string().nullable().optional(),
});
/** What the commune's last pull of its inbox brought (issue 9), with the server's time. */
export const DeliveryInboxSchema = z.object({ received: z.number(), at: z.string().nullable(), message: z.string() });
export const DeliverySettingsInputSchema = z
  .object({ serverUrl: z.string().url().max(500), token: z.string().min(10).max(500) })
  .strict();

export const deliveryContract = {
  'delivery.status': {
    input: z.object({}).strict(),
    output: z.object({
      connection: ConnectionSchema,
      items: z.array(OutboxItemSchema),
      /** Commune (issue 9): the last connection that brought new requests: "Đã nhận 2 yêu cầu mới". */
      inbox: DeliveryInboxSchema.optional(),
    }),
  },
  'delivery.configure': {
    input: z.union([DeliverySettingsInputSchema, z.object({ file: FileSchema }).strict()]),
    output: ConnectionSchema,
  },
  'delivery.sendNow': {
    input: z.object({}).strict(),
    output: z.object({ connection: ConnectionSchema, items: z.array(OutboxItemSchema), inbox: DeliveryInboxSchema.optional() }),
  },
  'city.pull': {
    input: z.object({}).strict(),
    output: z.object({ connection: ConnectionSchema, results: z.array(ImportResultSchema) }),
  },
  /** Packages pulled but refused at the city, still waiting (tried again on every pull). */
  'city.pullRefused': {
    input: z.object({}).strict(),
    output: z.array(PullRefusedSchema),
  },
  /** Try the refused pulled packages again now (after fixing the cause), without the network. */
  'city.pullRefused.retry': {
    input: z.object({}).strict(),
    output: z.object({ results: z.array(ImportResultSchema) }),
  },
} as const;

// ---- Backups of the database (issue 7, item 6): list, create, restore ----
export const BackupReasonSchema = z.enum(['submit', 'import', 'daily', 'manual', 'before-restore']);
export type BackupReason = z.infer<typeof BackupReasonSchema>;
export const BackupInfoSchema = z.object({
  /** The file name in the backups/ folder beside the database; what restore names. */
  name: z.string(),
  createdAt: z.string(),
  reason: BackupReasonSchema,
  size: z.number(),
});
export type BackupInfo = z.infer<typeof BackupInfoSchema>;

export const backupContract = {
  'backups.list': {
    input: z.object({}).strict(),
    output: z.object({ folder: z.string(), items: z.array(BackupInfoSchema) }),
  },
  'backups.create': { input: z.object({}).strict(), output: BackupInfoSchema },
  /**
   * What a restore of this backup would take away: the submitted revisions (commune) and the
   * received packages (city) stored since, each as a Vietnamese line ("Quý II/2026 — lần nộp 3…").
   */
  'backups.inspect': {
    input: z.object({ name: z.string().min(1).max(300) }).strict(),
    output: z.object({ revisionsSince: z.array(z.string()), packagesSince: z.number() }),
  },
  /** The current content is backed up first (returned as `safety`); the app then reads the restored database. */
  'backups.restore': {
    input: z.object({ name: z.string().min(1).max(300) }).strict(),
    output: z.object({ restored: BackupInfoSchema, safety: BackupInfoSchema }),
  },
} as const;

/** A mistake in an authoring workbook, where a clerk finds it: sheet, 1-based row, column letter. */
export const AuthoringProblemSchema = z.object({
  sheet: z.string(),
  row: z.number().int().positive().optional(),
  column: z.string().optional(),
  message: z.string(),
});
export type AuthoringProblem = z.infer<typeof AuthoringProblemSchema>;

export const TemplateInfoSchema = z.object({
  id: z.string(),
  version: z.number().int(),
  title: z.string(),
  /** builtin: shipped in resources/templates; published: by this city; received: a city's template opened at a commune. */
  source: z.enum(['builtin', 'published', 'received']),
  publishedAt: z.string().nullable(),
  /** Returns (commune) or stored packages (city) made on this version. */
  returns: z.number().int(),
});
export type TemplateInfo = z.infer<typeof TemplateInfoSchema>;

/**
 * Templates as data (core/templates): listing, checking and publishing authoring workbooks,
 * the authoring workbook of any template, samples and previews of a template not yet published.
 * `template` inputs carry template data (from templates.check or templates.get); core validates it.
 */
export const templateContract = {
  'templates.list': { input: empty, output: z.array(TemplateInfoSchema) },
  'templates.check': {
    input: z.object({ file: FileSchema }).strict(),
    output: z.object({
      problems: z.array(AuthoringProblemSchema),
      /** The compiled template (null when there are problems). */
      template: z.unknown().nullable(),
      /** The version publishing it would create (null when there are problems). */
      nextVersion: z.number().int().nullable(),
      /** True when it is the same as the latest published version of its id (publishing would change nothing). */
      unchanged: z.boolean(),
    }),
  },
  /** City only: a new version of the workbook's template. Refused with every problem when it does not compile. */
  'templates.publish': {
    input: z.object({ file: FileSchema }).strict(),
    output: z.object({ id: z.string(), version: z.number().int(), message: z.string() }),
  },
  /** Any known template (latest version when none given) as an authoring workbook. */
  'templates.workbook': {
    input: z.object({ id: z.string(), version: z.number().int().optional() }).strict(),
    output: FileSchema,
  },
  /** The empty starter workbook, with notes in its cells. */
  'templates.starter': { input: empty, output: FileSchema },
  'templates.sample': {
    input: z.object({ template: z.unknown(), unit: z.string().optional(), period: z.string().optional(), seed: z.number().int().optional() }).strict(),
    output: ReturnJsonSchema,
  },
  'templates.previewPackage': {
    input: z.object({ template: z.unknown(), values: ValuesSchema, unit: z.string().optional(), period: z.string() }).strict(),
    output: FileSchema,
  },
  /** A Biểu tổng hợp of sample returns from every unit of the list (seeded), for a template before it is published. */
  'templates.previewConsolidation': {
    input: z.object({ template: z.unknown(), period: z.string(), seed: z.number().int().optional() }).strict(),
    output: FileSchema,
  },
  /** Commune: a template the city sent as a file (its authoring workbook); kept in the database. */
  'templates.receive': {
    input: z.object({ file: FileSchema }).strict(),
    output: z.object({ id: z.string(), version: z.number().int(), message: z.string() }),
  },
} as const;

/**
 * Attachments (core/attachments): the bytes of a file cell (a scanned decision, a signed page), kept once per
 * sha256 in the database and referenced by drafts and revisions; a file cell's value is the AttachmentRef.
 */
export const attachmentContract = {
  /** Store a PDF, PNG or JPEG (checked by its first bytes) of at most `maxBytes` (default 5 MB, at most 20 MB). */
  'attachments.add': {
    input: z
      .object({ file: FileSchema, maxBytes: z.number().int().positive().optional(), returnId: z.number().int().optional() })
      .strict(),
    output: AttachmentRefSchema,
  },
  /** The stored bytes of a reference, under its name. */
  'attachments.get': {
    input: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
    output: FileSchema.extend({ mime: AttachmentRefSchema.shape.mime }),
  },
} as const;

// ---- Requests, reminders, the city's key, users (issue 9) ----

/** Where a request's return stands on the office: not begun, a draft, submitted (and the city's word on it). */
export const TodoStateSchema = z.enum(['not_started', 'draft', 'submitted', 'accepted', 'returned']);

/** One line of the commune's "Việc phải nộp": an open request addressed to it, or a standing report's period. */
export const TodoItemSchema = z.object({
  kind: z.enum(['request', 'standing']),
  /** The request (null for a standing report's period). */
  requestId: z.string().nullable(),
  edition: z.number().nullable(),
  /** true when this edition changed the request since the office first saw it (a later deadline, …), until opened. */
  amended: z.boolean(),
  /** What the latest edition changed, in the city's words. */
  note: z.string().nullable(),
  template: z.string(),
  templateVersion: z.number(),
  templateTitle: z.string(),
  title: z.string(),
  period: z.string(),
  periodLabel: z.string(),
  ref: RequestRefSchema.nullable(),
  /** "Kính gửi: UBND thành phố (qua Sở Tài chính)". */
  addressee: z.string(),
  department: z.string(),
  due: z.string(),
  dueWording: DueWordingSchema,
  /** "chậm nhất trong ngày 24/6/2026". */
  deadlineText: z.string(),
  /** The last day on time, ISO. */
  lastDay: z.string(),
  daysLeft: z.number(),
  /** "còn 3 ngày", "hạn hôm nay", "quá hạn 2 ngày" (empty once submitted). */
  timeLeft: z.string(),
  instruction: z.string().nullable(),
  returnId: z.number().nullable(),
  state: TodoStateSchema,
  revision: z.number().nullable(),
  submittedAt: z.string().nullable(),
  late: z.boolean(),
  /** The city's reason when it returned the return. */
  reason: z.string().nullable(),
  /** The latest reminder the city sent about this request, unseen or not. */
  reminder: z.object({ message: z.string(), sentAt: z.string() }).nullable(),
});
export type TodoItem = z.infer<typeof TodoItemSchema>;

export const RequestCountsSchema = z.object({
  expected: z.number(),
  submitted: z.number(),
  on_time: z.number(),
  late: z.number(),
  missing: z.number(),
  accepted: z.number(),
  returned: z.number(),
});

/** A request as the city lists it. */
export const RequestSummarySchema = z.object({
  id: z.string(),
  edition: z.number(),
  state: RequestStateSchema,
  title: z.string(),
  ref: RequestRefSchema,
  template: z.string(),
  templateVersion: z.number(),
  templateTitle: z.string(),
  period: z.string(),
  periodLabel: z.string(),
  due: z.string(),
  dueWording: DueWordingSchema,
  deadlineText: z.string(),
  lastDay: z.string(),
  department: z.string(),
  addressee: z.string(),
  /** "Tất cả 114 đơn vị", "Các xã (67)", "Có HĐND: có (113)", "12 đơn vị". */
  addresseesLabel: z.string(),
  counts: RequestCountsSchema,
  issuedAt: z.string(),
  issuedBy: z.string().nullable(),
  /** Delivery of the latest edition to the intake: null when the city has no delivery set up. */
  pushed: z.enum(['pending', 'pushed', 'refused']).nullable(),
});
export type RequestSummary = z.infer<typeof RequestSummarySchema>;

export const RemindTargetSchema = z.object({
  unit: UnitSchema,
  /** true: the office receives it on its screen at its next connection (it has a delivery token). */
  online: z.boolean(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
});

export const CityUserSchema = z.object({
  name: z.string(),
  department: z.string(),
  admin: z.boolean(),
  createdAt: z.string(),
  disabled: z.boolean(),
  lastLoginAt: z.string().nullable(),
});
export type CityUserInfo = z.infer<typeof CityUserSchema>;

const PasswordSchema = z.string().min(1).max(200);

/** The field of the request form a requests.check problem is about (issue 9). */
export const RequestFieldSchema = z.enum(['template', 'period', 'due', 'ref', 'window', 'addressees', 'department']);
export type RequestField = z.infer<typeof RequestFieldSchema>;

export const requestContract = {
  /** Commune: what it owes, by deadline (open requests addressed to it and the standing reports' periods). */
  'requests.todo': {
    input: empty,
    output: z.object({ items: z.array(TodoItemSchema), done: z.array(TodoItemSchema) }),
  },
  /** Commune: receive a signed request file (or a signed template file): verify, store, say what it was. */
  'requests.receive': {
    input: z.object({ file: FileSchema }).strict(),
    output: z.object({
      outcome: z.enum(['received', 'updated', 'unchanged', 'older', 'template']),
      requestId: z.string().nullable(),
      edition: z.number().nullable(),
      message: z.string(),
    }),
  },
  /** City: its requests with their counts (a department's clerk sees its department's; an administrator all). */
  'requests.list': {
    input: z.object({ includeWithdrawn: z.boolean().optional() }).strict(),
    output: z.array(RequestSummarySchema),
  },
  /** Either role: one request, every edition, the addressed units. */
  'requests.get': {
    input: z.object({ id: z.string() }).strict(),
    output: z.object({ current: RequestEditionSchema, editions: z.array(RequestEditionSchema), units: z.array(UnitSchema) }),
  },
  /** City: check a request before publishing (what it addresses, what is wrong) without storing anything. */
  'requests.check': {
    input: RequestInputSchema,
    output: z.object({
      units: z.number(),
      problems: z.array(z.string()),
      addresseesLabel: z.string(),
      /** The form field each problem is about (same length as problems; null: the request as a whole). */
      fields: z.array(RequestFieldSchema.nullable()).optional(),
    }),
  },
  /** City: create and publish (sign) a request's first edition. */
  'requests.create': { input: RequestInputSchema, output: RequestEditionSchema },
  /** City: a new edition: a later deadline, more units, a changed instruction or window. */
  'requests.amend': {
    input: z
      .object({
        id: z.string(),
        due: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
        dueWording: DueWordingSchema.optional(),
        addressees: AddresseesSchema.optional(),
        instruction: z.string().max(4000).optional(),
        title: visibleText(300).optional(),
        note: z.string().trim().min(1).max(1000),
      })
      .strict(),
    output: RequestEditionSchema,
  },
  /** City: withdraw a request (a last edition, state withdrawn). */
  'requests.withdraw': {
    input: z.object({ id: z.string(), reason: z.string().trim().min(1).max(1000) }).strict(),
    output: RequestEditionSchema,
  },
  /** City: the signed request file, its template included, to email or copy to USB. */
  'requests.export': { input: z.object({ id: z.string() }).strict(), output: FileSchema },
  /** City: completeness by the request's own deadline and addressees. */
  'requests.completeness': {
    input: z.object({ id: z.string() }).strict(),
    output: z.object({
      request: RequestSummarySchema,
      unitListVersion: z.string(),
      deadline: z.string(),
      counts: RequestCountsSchema,
      conflicts: z.number(),
      rows: z.array(CompletenessRowSchema),
      unlisted: z.array(CompletenessRowSchema),
    }),
  },
  'requests.consolidation': { input: z.object({ id: z.string() }).strict(), output: z.unknown().describe('the Consolidation of shared/consolidate.ts') },
  'requests.consolidation.export': { input: z.object({ id: z.string() }).strict(), output: FileSchema },
  /** City: the units a reminder would go to (not submitted, or the given ones) and how each is reached. */
  'requests.remindTargets': {
    input: z.object({ id: z.string() }).strict(),
    output: z.array(RemindTargetSchema),
  },
  /** City: send a reminder: over the network to offices with delivery, the rest listed with their contacts. */
  'requests.remind': {
    input: z.object({ id: z.string(), units: z.array(z.string()).max(5000).optional(), message: z.string().trim().min(1).max(1000).optional() }).strict(),
    output: z.object({ online: z.number(), offline: z.array(RemindTargetSchema), message: z.string() }),
  },
  /** City: the list of units not yet submitted with their contacts, as a workbook for email or a phone round. */
  'requests.missing.export': { input: z.object({ id: z.string() }).strict(), output: FileSchema },
  /** City: the signed file of a published template (for offices without a request yet). */
  'templates.exportSigned': { input: z.object({ id: z.string(), version: z.number().int() }).strict(), output: FileSchema },
  /** City: its public key (to give offices) and fingerprint. */
  'keys.city': { input: empty, output: z.object({ publicKey: z.string(), fingerprint: z.string(), fileName: z.string() }) },
  /** Commune: the city key it trusts. */
  'trust.get': { input: empty, output: z.object({ fingerprint: z.string().nullable(), source: z.enum(['configured', 'shipped']).nullable() }) },
  /** Commune: trust another city key (a .pem file the city gave). */
  'trust.set': {
    input: z.object({ file: FileSchema }).strict(),
    output: z.object({ fingerprint: z.string().nullable(), source: z.enum(['configured', 'shipped']).nullable() }),
  },
} as const;

export const userContract = {
  /** Who is signed in (browser mode with users), and whether the city has users at all. */
  'auth.me': {
    input: empty,
    output: z.object({
      user: z.object({ name: z.string(), department: z.string(), admin: z.boolean() }).nullable(),
      usersExist: z.boolean(),
      /** The token the browser sends back in the x-csrf-token header on every call (null without a session). */
      csrf: z.string().nullable(),
    }),
  },
  'users.list': { input: empty, output: z.array(CityUserSchema) },
  /** Add a city user (administrator only; the first one when none exists, made an administrator). */
  'users.add': {
    input: z.object({ name: visibleText(100), department: visibleText(200), admin: z.boolean().optional(), password: PasswordSchema }).strict(),
    output: CityUserSchema,
  },
  'users.setPassword': {
    input: z.object({ name: z.string().min(1).max(100), password: PasswordSchema }).strict(),
    output: z.object({ message: z.string() }),
  },
  'users.disable': {
    input: z.object({ name: z.string().min(1).max(100), disabled: z.boolean() }).strict(),
    output: CityUserSchema,
  },
} as const;

export const contract = {
  ...communeContract,
  ...cityContract,
  ...deliveryContract,
  ...backupContract,
  ...templateContract,
  ...attachmentContract,
  ...requestContract,
  ...userContract,
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
