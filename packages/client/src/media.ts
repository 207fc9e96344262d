import { CallbridgeError } from './errors.js';

export interface MediaConstraints {
  readonly audio: boolean | MediaTrackConstraints;
  readonly video: boolean | MediaTrackConstraints;
}

/** Maps getUserMedia's DOMException names to errors a person can act on. */
export function mediaError(error: unknown): CallbridgeError {
  const name = error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return new CallbridgeError(
        'MEDIA_PERMISSION_DENIED',
        'access to the microphone or camera was denied; allow it in the browser and try again',
        { cause: error },
      );
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return new CallbridgeError(
        'MEDIA_DEVICE_NOT_FOUND',
        'no microphone or camera matches the request',
        { cause: error },
      );
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return new CallbridgeError(
        'MEDIA_DEVICE_BUSY',
        'the microphone or camera is in use or not working',
        { cause: error },
      );
    default:
      return new CallbridgeError(
        'MEDIA_UNSUPPORTED',
        `could not get media: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
  }
}

type LegacyGetUserMedia = (
  constraints: MediaStreamConstraints,
  ok: (s: MediaStream) => void,
  fail: (e: unknown) => void,
) => void;

/**
 * getUserMedia with the standard API, falling back to the prefixed callback API of older
 * browsers. Pages must be served from a secure context (https or localhost).
 */
export async function getUserMedia(
  constraints: MediaConstraints,
  devices: MediaDevices | undefined = globalThis.navigator?.mediaDevices,
): Promise<MediaStream> {
  if (!constraints.audio && !constraints.video) return new MediaStream();
  const request: MediaStreamConstraints = { audio: constraints.audio, video: constraints.video };
  try {
    if (devices && typeof devices.getUserMedia === 'function')
      return await devices.getUserMedia(request);
    const nav = globalThis.navigator as Navigator & {
      webkitGetUserMedia?: LegacyGetUserMedia;
      mozGetUserMedia?: LegacyGetUserMedia;
    };
    const legacy = nav?.webkitGetUserMedia ?? nav?.mozGetUserMedia;
    if (!legacy) {
      throw new CallbridgeError(
        'MEDIA_UNSUPPORTED',
        'this browser cannot capture media here (it needs https or localhost)',
      );
    }
    return await new Promise<MediaStream>((resolve, reject) =>
      legacy.call(nav, request, resolve, reject),
    );
  } catch (error) {
    throw error instanceof CallbridgeError ? error : mediaError(error);
  }
}

/** Shows a stream in a display: a <video>/<audio> element, or a container that gets a <video>. */
export function attachStream(
  display: HTMLElement,
  stream: MediaStream,
  muted: boolean,
): HTMLMediaElement {
  let element: HTMLMediaElement;
  if (display instanceof HTMLMediaElement) {
    element = display;
  } else {
    const existing = display.querySelector('video');
    element = existing ?? display.ownerDocument.createElement('video');
    if (!existing) {
      element.style.width = '100%';
      element.style.height = '100%';
      display.appendChild(element);
    }
  }
  element.autoplay = true;
  element.muted = muted;
  element.setAttribute('playsinline', '');
  if ('srcObject' in element) element.srcObject = stream;
  else
    (element as HTMLMediaElement & { src: string }).src = URL.createObjectURL(
      stream as unknown as Blob,
    );
  void element.play().catch(() => undefined); // autoplay policies: the user gesture that started the call usually allows it
  return element;
}

export function detachStream(element: HTMLMediaElement | null): void {
  if (!element) return;
  element.pause();
  element.srcObject = null;
}

export function stopStream(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
