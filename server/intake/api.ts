/**
 * The intake HTTP API (/api/v1): its shapes live in shared/intake-api.ts, where the clients (the
 * commune outbox and the city pull in core/) read them too; re-exported here for the server.
 */
export * from '../../shared/intake-api.js';
