export * from './constants.js';
export { crc32 } from './crc32.js';
export { saslprep } from './saslprep.js';
export {
  StunMessage,
  StunWriter,
  isStunMessage,
  longTermKey,
  shortTermKey,
  stunMessageType,
  type StunErrorCode,
  type StunWriterOptions,
  type TransportAddress,
} from './message.js';
