/**
 * The intake HTTP API (/api/v1): the shapes of its answers, for the server and for the clients
 * (commune outbox and city pull in core/delivery, server/intake). Pure TypeScript + zod, no Node.
 *
 * Every answer carries `serverTime` (ISO, the server's clock): a commune PC's clock may be days
 * wrong, so clients show and compare server times, never their own.
 */
import { z } from 'zod';

export const API_PREFIX = '/api/v1';
export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * Stable error codes. `action` says what the client does: `wait` = try the same request again
 * later (automatically), `act` = a person must change something first (token, file, settings).
 */
export const IntakeErrorCodeSchema = z.enum([
  'token_missing',
  'token_unknown',
  'token_revoked',
  'forbidden',
  'wrong_unit',
  'empty_body',
  'corrupt_file',
  'not_a_package',
  'wrong_template',
  'package_conflict',
  'too_large',
  'unsupported_media_type',
  'invalid_input',
  'not_found',
  'version_exists',
  /** PUT /requests: another content under a request id and edition already held (issue 9). */
  'request_conflict',
  'rate_limited',
  'internal',
]);
export type IntakeErrorCode = z.infer<typeof IntakeErrorCodeSchema>;

export const IntakeErrorSchema = z.object({
  code: IntakeErrorCodeSchema,
  /** A Vietnamese sentence: what happened and whether to wait or act. */
  message: z.string(),
  action: z.enum(['wait', 'act']),
  serverTime: z.string(),
  details: z.unknown().optional(),
});
export type IntakeErrorBody = z.infer<typeof IntakeErrorSchema>;

/** POST /api/v1/packages → 201 (stored now) or 200 (already stored). */
export const PackageReceiptSchema = z.object({
  packageId: z.string(),
  unit: z.string(),
  period: z.string(),
  template: z.string(),
  templateVersion: z.number().int(),
  revision: z.number().int(),
  receivedAt: z.string(),
  alreadyStored: z.boolean(),
  serverTime: z.string(),
  /**
   * false: the intake does not know the package's template (published at the city, not pushed to
   * the intake yet), so it stored the package on its identity alone; the city checks it on its pull.
   */
  templateChecked: z.boolean().optional(),
  /** A Vietnamese sentence saying so, for the commune's screen and log. */
  note: z.string().optional(),
});
export type PackageReceipt = z.infer<typeof PackageReceiptSchema>;

export const PackageSummarySchema = z.object({
  packageId: z.string(),
  unit: z.string(),
  period: z.string(),
  template: z.string(),
  templateVersion: z.number().int(),
  revision: z.number().int(),
  /** The values hash written in the package's identity. */
  hash: z.string(),
  /** sha256 hex of the stored bytes (what GET /packages/:id returns). */
  sha256: z.string(),
  size: z.number().int(),
  editedOutside: z.boolean(),
  receivedAt: z.string(),
});
export type PackageSummary = z.infer<typeof PackageSummarySchema>;

/** GET /api/v1/packages?since=<cursor>&limit=N (city). Pass `cursor` back as `since`; `more` = call again now. */
export const PackageListSchema = z.object({
  packages: z.array(PackageSummarySchema),
  cursor: z.string(),
  more: z.boolean(),
  serverTime: z.string(),
});
export type PackageList = z.infer<typeof PackageListSchema>;

/**
 * refused: the city fetched the package but could not import it (issue 7 item 11), with the reason;
 * received: it has imported it since (clears a refusal, never a review decision).
 */
export const DecisionStateSchema = z.enum(['accepted', 'returned', 'refused', 'received']);
/** POST /api/v1/decisions (city). A reason is required when returning or refusing a package. */
export const DecisionInputSchema = z
  .object({
    packageId: z.string().min(1).max(200),
    state: DecisionStateSchema,
    reason: z.string().max(4000).optional(),
  })
  .strict();
export type DecisionInput = z.infer<typeof DecisionInputSchema>;

export const DecisionSchema = z.object({
  packageId: z.string(),
  state: DecisionStateSchema,
  reason: z.string().nullable(),
  decidedAt: z.string(),
  serverTime: z.string(),
});

/**
 * GET /api/v1/status?packages=id1,id2 (unit): per package id, `unknown` (the server does not hold
 * it for this unit: send it), `received`, `accepted` or `returned` (with the city's reason).
 * Without `packages`, the unit's latest packages.
 */
export const PackageStatusSchema = z.object({
  packageId: z.string(),
  /** refused: the city fetched it but could not import it yet; `reason` says why. */
  state: z.enum(['unknown', 'received', 'accepted', 'returned', 'refused']),
  receivedAt: z.string().nullable(),
  decidedAt: z.string().nullable(),
  reason: z.string().nullable(),
});
export type PackageStatus = z.infer<typeof PackageStatusSchema>;
export const StatusSchema = z.object({
  unit: z.string(),
  packages: z.array(PackageStatusSchema),
  serverTime: z.string(),
});

/** GET /api/v1/reference (any token): the published templates and unit list. ETag = `version`. */
export const ReferenceSchema = z.object({
  version: z.string(),
  templates: z.array(
    z.object({ id: z.string(), version: z.number().int(), publishedAt: z.string(), template: z.unknown() }),
  ),
  units: z.object({
    version: z.string(),
    publishedAt: z.string(),
    units: z.array(z.object({ code: z.string(), type: z.string(), name: z.string() })),
  }),
  serverTime: z.string(),
});
export type Reference = z.infer<typeof ReferenceSchema>;

export const HealthSchema = z.object({ ok: z.boolean(), time: z.string() });

// ---- requests and reminders for the offices (issue 9) -------------------------------------------

/**
 * PUT /api/v1/requests (city): the signed request file (core/requests/sign.ts) as JSON. The intake
 * reads only what it needs to route it (the payload's request id, edition and addressed units);
 * the offices verify the signature. 201 stored, 200 the same edition with the same content again,
 * 409 `request_conflict` another content under that id and edition.
 */
export const SignedRequestFileSchema = z.object({
  format: z.literal('bao-cao-xa/signed'),
  version: z.literal(1),
  kind: z.literal('request'),
  keyId: z.string().max(100),
  payload: z.string().min(1),
  signature: z.string().min(1).max(200),
});
/** What the intake reads of the payload (the rest travels untouched). */
export const SignedRequestRoutingSchema = z.object({
  request: z.looseObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/),
    edition: z.number().int().positive(),
    units: z.array(z.string().regex(/^\d{5}$/)).max(5000),
  }),
});
export const RequestReceiptSchema = z.object({
  requestId: z.string(),
  edition: z.number().int(),
  seq: z.number().int(),
  alreadyStored: z.boolean(),
  receivedAt: z.string(),
  serverTime: z.string(),
});
export type RequestReceipt = z.infer<typeof RequestReceiptSchema>;

/** POST /api/v1/reminders (city): reminders to units, idempotent by id. */
export const ReminderInputSchema = z
  .object({
    id: z.string().min(1).max(100),
    requestId: z.string().min(1).max(64),
    unit: z.string().regex(/^\d{5}$/),
    message: z.string().min(1).max(4000),
    createdAt: z.string().min(10).max(40),
  })
  .strict();
export type ReminderInput = z.infer<typeof ReminderInputSchema>;
export const MAX_REMINDERS_PER_POST = 500;
export const RemindersInputSchema = z.array(ReminderInputSchema).min(1).max(MAX_REMINDERS_PER_POST);
export const RemindersReceiptSchema = z.object({
  /** Reminders stored now (those already held by id are not counted). */
  stored: z.number().int(),
  serverTime: z.string(),
});

/**
 * GET /api/v1/inbox?after=<seq> (unit): what the city sent this unit since `after`, in arrival
 * order: request editions addressed to it (a withdrawal reaches the same units) and its reminders.
 * Pass `next` back as `after`; `more` = call again now. At most INBOX_PAGE items a page.
 */
export const INBOX_PAGE = 50;
export const InboxItemSchema = z.discriminatedUnion('kind', [
  z.object({ seq: z.number().int(), kind: z.literal('request'), content: z.string() }),
  z.object({
    seq: z.number().int(),
    kind: z.literal('reminder'),
    id: z.string(),
    requestId: z.string(),
    message: z.string(),
    createdAt: z.string(),
  }),
]);
export type InboxItem = z.infer<typeof InboxItemSchema>;
export const InboxSchema = z.object({
  items: z.array(InboxItemSchema),
  next: z.number().int(),
  more: z.boolean(),
  serverTime: z.string(),
});
export type Inbox = z.infer<typeof InboxSchema>;
