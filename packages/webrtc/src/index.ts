export * from './errors.js';
export * from './clock.js';
export { TypedEmitter } from './events.js';
export * from './stun/index.js';
export * from './dtls/index.js';
export * from './ice/index.js';
export * from './transport.js';
