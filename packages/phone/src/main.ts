/**
 * The reference Phone UI. It talks to the gateway through the SDK only; the gateway serves
 * this page at `/`, the SDK at `/sdk/` (mapped by the page's import map).
 */
import type { Call, CallStatus, Failure, Session, SipOptions } from '@callbridge/client';
import {
  CALL_EVENT,
  CallbridgeError,
  SESSION_EVENT,
  createSession,
  fetchGatewayInfo,
} from '@callbridge/client';

const STORAGE_KEY = 'callbridge.phone.account';
/** Fields kept between visits; the password never is. */
const REMEMBERED = ['login', 'authenticationName', 'domain', 'outboundProxy', 'port'] as const;

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page lacks #${id}`);
  return el as T;
}

const ui = {
  sessionStatus: $<HTMLParagraphElement>('session-status'),
  openLogin: $<HTMLButtonElement>('open-login'),
  logout: $<HTMLButtonElement>('logout'),
  form: $<HTMLFormElement>('login-form'),
  cancelLogin: $<HTMLButtonElement>('cancel-login'),
  number: $<HTMLInputElement>('number'),
  callStatus: $<HTMLParagraphElement>('call-status'),
  duration: $<HTMLSpanElement>('duration'),
  level: $<HTMLMeterElement>('level'),
  voiceCall: $<HTMLButtonElement>('voice-call'),
  videoCall: $<HTMLButtonElement>('video-call'),
  answer: $<HTMLButtonElement>('answer'),
  reject: $<HTMLButtonElement>('reject'),
  hangup: $<HTMLButtonElement>('hangup'),
  hold: $<HTMLButtonElement>('hold'),
  transfer: $<HTMLButtonElement>('transfer'),
  mute: $<HTMLButtonElement>('mute'),
  error: $<HTMLParagraphElement>('error'),
  demoHint: $<HTMLParagraphElement>('demo-hint'),
  videos: $<HTMLDivElement>('videos'),
  remoteVideo: $<HTMLVideoElement>('remote-video'),
  localVideo: $<HTMLVideoElement>('local-video'),
};

let session: Session | null = null;
/** The call the controls act on. */
let current: Call | null = null;
/** A call put on hold to make another (call waiting / attended transfer). */
let held: Call | null = null;
let durationTimer: ReturnType<typeof setInterval> | null = null;
let levelTimer: ReturnType<typeof setInterval> | null = null;
/** When each call was first established: the duration shown is the current call's. */
const establishedAt = new WeakMap<Call, number>();

const SESSION_TEXT: Record<string, string> = {
  CONNECTED: 'Connected',
  ESTABLISHED: 'Connected',
  REGISTERED: 'Registered',
  UNREGISTERED: 'Not registered',
  DISCONNECTED: 'Disconnected',
  FAILED: 'Failed',
};

const CALL_TEXT: Record<CallStatus, string> = {
  NEW: 'Calling',
  PENDING: 'Calling',
  TRYING: 'Trying',
  RING: 'Ringing',
  RING_MEDIA: 'Ringing',
  SESSION_PROGRESS: 'Ringing (early media)',
  ESTABLISHED: 'Established',
  HOLD: 'On hold',
  BUSY: 'Failed: busy',
  FINISH: 'Finished',
  FAILED: 'Failed',
};

function describeFailure(failure: Failure | null | undefined): string {
  if (!failure) return '';
  if (failure.sipStatus !== undefined)
    return `${failure.sipStatus} ${failure.sipReason ?? ''}`.trim();
  return failure.reason
    .replace(/^FAILED_BY_/, '')
    .replace(/_/g, ' ')
    .toLowerCase();
}

function showError(error: unknown): void {
  if (error instanceof CallbridgeError && error.code === 'MEDIA_PERMISSION_DENIED') {
    ui.error.textContent = 'Microphone access was denied. Allow it in the browser and try again.';
  } else {
    ui.error.textContent = error instanceof Error ? error.message : String(error);
  }
}

// ------------------------------------------------------------------ log in

function loadRemembered(): void {
  let saved: Record<string, string>;
  try {
    saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Record<string, string>;
  } catch {
    saved = {};
  }
  for (const name of REMEMBERED) {
    const input = ui.form.elements.namedItem(name);
    if (input instanceof HTMLInputElement && typeof saved[name] === 'string')
      input.value = saved[name];
  }
}

function remember(values: Record<string, string>): void {
  const kept = Object.fromEntries(REMEMBERED.map((k) => [k, values[k] ?? '']));
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(kept));
  } catch {
    // Private mode or storage disabled: nothing to remember then.
  }
}

/** With the embedded demo running, say which accounts and numbers exist and fill in the domain. */
async function showDemo(): Promise<void> {
  const info = await fetchGatewayInfo(location.origin);
  if (!info.demo) return;
  const numbers = info.demo.numbers.map((n) => `${n.number} ${n.description}`).join(', ');
  ui.demoHint.textContent = `Demo: log in as ${info.demo.accounts.join(' or ')} (password <name>-demo) at ${info.demo.domain}. Numbers: ${numbers}.`;
  ui.demoHint.hidden = false;
  const domain = $<HTMLInputElement>('f-domain');
  if (!domain.value) domain.value = info.demo.domain;
}

function openLogin(): void {
  loadRemembered();
  showDemo().catch(() => undefined);
  ui.form.hidden = false;
  ui.openLogin.hidden = true;
  $<HTMLInputElement>('f-login').focus();
}

function closeLogin(): void {
  ui.form.hidden = true;
  ui.openLogin.hidden = session !== null;
  (session ? ui.number : ui.openLogin).focus();
}

function logIn(event: SubmitEvent): void {
  event.preventDefault();
  const data = new FormData(ui.form);
  const value = (name: string): string => {
    const v = data.get(name);
    return typeof v === 'string' ? v.trim() : '';
  };
  const values = Object.fromEntries(
    ['login', 'authenticationName', 'password', 'domain', 'outboundProxy', 'port'].map((k) => [
      k,
      value(k),
    ]),
  );
  remember(values);
  const port = Number(values['port']);
  const sipOptions: SipOptions = {
    login: values['login'] ?? '',
    domain: values['domain'] ?? '',
    registerRequired: true,
    ...(values['authenticationName'] ? { authenticationName: values['authenticationName'] } : {}),
    ...(values['password'] ? { password: data.get('password') as string } : {}),
    ...(values['outboundProxy'] ? { outboundProxy: values['outboundProxy'] } : {}),
    ...(values['port'] && Number.isInteger(port) ? { port } : {}),
  };
  $<HTMLInputElement>('f-password').value = '';
  session?.disconnect().catch(() => undefined);
  ui.error.textContent = '';
  ui.sessionStatus.textContent = 'Connecting';
  const s = createSession({ urlServer: location.origin, sipOptions });
  session = s;
  for (const status of [
    'CONNECTED',
    'ESTABLISHED',
    'REGISTERED',
    'UNREGISTERED',
    'DISCONNECTED',
    'FAILED',
  ] as const) {
    s.on(status, ({ failure }) => {
      if (session !== s) return;
      const detail = describeFailure(failure);
      ui.sessionStatus.textContent = `${SESSION_TEXT[status] ?? status}${detail ? `: ${detail}` : ''}`;
      if (status === 'FAILED') void s.disconnect();
      if (status === 'DISCONNECTED' || status === 'FAILED') endSessionUi();
    });
  }
  s.on(SESSION_EVENT.RECONNECTING, () => {
    ui.sessionStatus.textContent = 'Reconnecting';
  });
  s.on(SESSION_EVENT.INCOMING_CALL, (call) => onIncoming(call));
  s.on(SESSION_EVENT.OUTGOING_CALL, (call) => track(call));
  ui.logout.hidden = false;
  closeLogin();
  refreshControls();
}

function endSessionUi(): void {
  ui.logout.hidden = true;
  ui.openLogin.hidden = false;
  session = null;
  refreshControls();
}

// ------------------------------------------------------------------ calls

function track(call: Call): void {
  current = call;
  const statuses = Object.keys(CALL_TEXT) as CallStatus[];
  for (const status of statuses) {
    call.on(status, ({ failure, sipStatus, sipReason }) =>
      onCallStatus(
        call,
        status,
        failure ??
          (sipStatus
            ? { reason: 'SIP_ERROR', sipStatus, ...(sipReason ? { sipReason } : {}) }
            : undefined),
      ),
    );
  }
  call.on(CALL_EVENT.REMOTE_STREAM, () => {
    ui.videos.hidden = !call.hasVideo();
  });
  call.on(CALL_EVENT.TRANSFER_STATUS, ({ sipStatus, sipReason, final }) => {
    if (call === current) ui.callStatus.textContent = `Transfer: ${sipStatus} ${sipReason}`;
    // RFC 5589 §6.1: once the transferee reports success, the transferor ends its call.
    const up = call.status() === 'ESTABLISHED' || call.status() === 'HOLD';
    if (final && sipStatus >= 200 && sipStatus < 300 && up) void call.hangup().catch(showError);
  });
  refreshControls();
  refreshTimers();
}

function onCallStatus(call: Call, status: CallStatus, failure: Failure | undefined): void {
  if (call !== current && call !== held) return;
  if (call === current) {
    let text = CALL_TEXT[status];
    if (status === 'FAILED') {
      const detail = describeFailure(failure ?? call.failure());
      if (detail) text = `Failed: ${detail}`;
    }
    if (status === 'RING' && call.direction() === 'inbound')
      text = `Incoming call from ${call.caller() ?? 'unknown'}`;
    ui.callStatus.textContent = text;
  }
  if (status === 'ESTABLISHED' && !establishedAt.has(call)) establishedAt.set(call, Date.now());
  if (status === 'BUSY' || status === 'FINISH' || status === 'FAILED') {
    if (call === held) held = null;
    if (call === current) {
      // A call that was on hold while another was tried becomes the current one again.
      current = held;
      held = null;
      ui.videos.hidden = true;
    }
  }
  refreshControls();
  refreshTimers();
}

function placeCall(video: boolean): void {
  if (!session) return;
  const callee = ui.number.value.trim();
  if (!callee) {
    ui.error.textContent = 'Enter a number to call.';
    ui.number.focus();
    return;
  }
  ui.error.textContent = '';
  if (current && current.status() === 'ESTABLISHED') {
    held = current;
    void held.hold().catch(showError);
  }
  const call = session.createCall({
    callee,
    constraints: { audio: true, video },
    localVideoDisplay: ui.localVideo,
    remoteVideoDisplay: ui.remoteVideo,
  });
  ui.videos.hidden = !video;
  track(call);
  ui.callStatus.textContent = CALL_TEXT.NEW;
  call.call().catch(showError);
}

function onIncoming(call: Call): void {
  if (current) {
    // Call waiting: keep the active call, alert for the new one.
    held = current;
  }
  track(call);
  ui.callStatus.textContent = `Incoming call from ${call.caller() ?? 'unknown'}`;
  ui.answer.focus();
}

function answer(): void {
  const call = current;
  if (!call) return;
  if (held?.status() === 'ESTABLISHED') void held.hold().catch(showError);
  const video = call.hasVideo();
  ui.videos.hidden = !video;
  call
    .answer({
      constraints: { audio: true, video },
      localVideoDisplay: ui.localVideo,
      remoteVideoDisplay: ui.remoteVideo,
    })
    .catch(showError);
}

function pressKey(key: string): void {
  const call = current;
  if (
    call &&
    (call.status() === 'ESTABLISHED' ||
      call.status() === 'SESSION_PROGRESS' ||
      call.status() === 'RING_MEDIA')
  ) {
    call.sendDTMF(key).catch(showError);
    return;
  }
  ui.number.value += key;
}

function toggleHold(): void {
  const call = current;
  if (!call) return;
  (call.status() === 'HOLD' ? call.unhold() : call.hold()).catch(showError);
}

function transfer(): void {
  const call = current;
  if (!call) return;
  if (held && held.status() !== 'FINISH') {
    // Attended: connect the held party with the current one.
    held.transfer(call).catch(showError);
    return;
  }
  const target = ui.number.value.trim();
  if (!target) {
    ui.error.textContent = 'Enter the number to transfer to.';
    ui.number.focus();
    return;
  }
  call.transfer(target).catch(showError);
}

function toggleMute(): void {
  const call = current;
  if (!call) return;
  if (call.isAudioMuted()) call.unmuteAudio();
  else call.muteAudio();
  const muted = call.isAudioMuted();
  ui.mute.setAttribute('aria-pressed', String(muted));
  ui.mute.textContent = muted ? 'Unmute' : 'Mute';
}

function refreshControls(): void {
  const status = current?.status();
  const inCall =
    current !== null && status !== undefined && !['BUSY', 'FINISH', 'FAILED'].includes(status);
  const ringingIn = inCall && current?.direction() === 'inbound' && status === 'RING';
  const up = status === 'ESTABLISHED' || status === 'HOLD';
  ui.voiceCall.disabled = !session || ringingIn;
  ui.videoCall.disabled = !session || ringingIn;
  ui.answer.disabled = !ringingIn;
  ui.reject.disabled = !ringingIn;
  ui.hangup.disabled = !inCall || ringingIn;
  ui.hold.disabled = !up;
  ui.hold.textContent = status === 'HOLD' ? 'Unhold' : 'Hold';
  ui.transfer.disabled = !up;
  ui.mute.disabled = !up;
  if (!inCall) {
    ui.mute.setAttribute('aria-pressed', 'false');
    ui.mute.textContent = 'Mute';
  }
}

// ------------------------------------------------------------------ duration and level

/** Shows the current call's duration and incoming audio level while it is up. */
function refreshTimers(): void {
  const since = current ? establishedAt.get(current) : undefined;
  if (since === undefined) {
    if (durationTimer) clearInterval(durationTimer);
    if (levelTimer) clearInterval(levelTimer);
    durationTimer = levelTimer = null;
    ui.level.value = 0;
    return;
  }
  showDuration();
  durationTimer ??= setInterval(showDuration, 500);
  levelTimer ??= setInterval(() => {
    current
      ?.getStats()
      .then((stats) => {
        ui.level.value = stats.audio.inbound?.audioLevel ?? 0;
      })
      .catch(() => undefined);
  }, 250);
}

function showDuration(): void {
  const since = current ? establishedAt.get(current) : undefined;
  if (since === undefined) return;
  const s = Math.floor((Date.now() - since) / 1000);
  ui.duration.textContent = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

// ------------------------------------------------------------------ wiring

ui.openLogin.addEventListener('click', openLogin);
ui.cancelLogin.addEventListener('click', closeLogin);
ui.form.addEventListener('submit', logIn);
ui.form.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') closeLogin();
});
ui.logout.addEventListener('click', () => {
  const s = session;
  if (s) void s.disconnect();
});
ui.voiceCall.addEventListener('click', () => placeCall(false));
ui.videoCall.addEventListener('click', () => placeCall(true));
ui.answer.addEventListener('click', answer);
ui.reject.addEventListener('click', () => void current?.reject().catch(showError));
ui.hangup.addEventListener('click', () => void current?.hangup().catch(showError));
ui.hold.addEventListener('click', toggleHold);
ui.transfer.addEventListener('click', transfer);
ui.mute.addEventListener('click', toggleMute);
ui.number.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') placeCall(false);
});
for (const button of document.querySelectorAll<HTMLButtonElement>('.pad button')) {
  button.addEventListener('click', () => pressKey(button.dataset['key'] ?? ''));
}
refreshControls();
