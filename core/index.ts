export * from './resources.js';
export * from './db.js';
export * from './handlers.js';
export * from './inputs.js';
export * from './packages.js';
