export * from './errors.js';
export * from './clock.js';
export { TypedEmitter } from './events.js';
export * from './stun/index.js';
export * from './dtls/index.js';
