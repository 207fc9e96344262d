/**
 * Where the CLI finds the B2BUA core and the embedded demo. Until the B2BUA core is assigned
 * here, the gateway runs its APIs and UI and reports every SIP action as BACKEND_UNAVAILABLE
 * (and /health says `backend: "absent"`).
 */
import type { CallBackendFactory, EmbeddedDemoFactory } from './backend.js';
import { createB2buaBackend } from './b2bua/backend.js';
import { embeddedDemo } from './demo/index.js';

export const callBackendFactory: CallBackendFactory | undefined = createB2buaBackend;
export const embeddedDemoFactory: EmbeddedDemoFactory | undefined = embeddedDemo;
