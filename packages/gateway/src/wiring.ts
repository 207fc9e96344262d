/**
 * Where the CLI finds the B2BUA core and the embedded demo. Both are built from the SIP, SDP,
 * WebRTC and media packages; until they are assigned here, the gateway runs its APIs and UI
 * and reports every SIP action as BACKEND_UNAVAILABLE (and /health says `backend: "absent"`).
 */
import type { CallBackendFactory, EmbeddedDemoFactory } from './backend.js';

export const callBackendFactory: CallBackendFactory | undefined = undefined;
export const embeddedDemoFactory: EmbeddedDemoFactory | undefined = undefined;
