export * from './api.js';
export { IntakeError } from './errors.js';
export type { IntakeDb, IntakeDbOptions, IntakeDialect } from './db.js';
export { openIntakeDb } from './db.js';
export type { TokenInfo, TokenScope } from './tokens.js';
export { TOKEN_PREFIX, issueToken, revokeToken, listTokens } from './tokens.js';
export type { RateLimitOptions } from './rate-limit.js';
export { DEFAULT_RATE_LIMIT } from './rate-limit.js';
export type { IntakeAppOptions } from './app.js';
export { DEFAULT_MAX_BODY_BYTES, createIntakeApp, listenIntake } from './app.js';
export type { RunIntakeArgs, RunningIntake, TokenCommandArgs, IntakeStoreArgs } from './cli.js';
export {
  DEFAULT_INTAKE_PORT,
  runIntake,
  intakeTokenCommand,
  intakeRevokeCommand,
  intakeTokenList,
  resolveIntakeStore,
} from './cli.js';
