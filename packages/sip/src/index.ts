export {};
export * from './messages.js';
export * from './clock.js';
export * from './auth/index.js';
