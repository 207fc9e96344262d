export {};
export * from './messages.js';
export * from './clock.js';
export * from './auth/index.js';
export * from './transaction/index.js';
export * from './transport/index.js';
export * from './dialog/index.js';
export * from './registration/index.js';
export * from './proxy/index.js';
