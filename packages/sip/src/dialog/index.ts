export * from './dialog.js';
export * from './session.js';
export * from './calls.js';
export * from './core.js';
