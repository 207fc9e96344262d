export * from './timers.js';
export * from './machines.js';
export * from './emitter.js';
export * from './layer.js';
