export * from './registerer.js';
