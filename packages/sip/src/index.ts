export {};
export * from './clock.js';
export * from './auth/index.js';
