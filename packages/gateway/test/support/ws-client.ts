import WebSocket from 'ws';

/** A protocol client for tests: collects every message and waits for the ones it needs. */
export class TestSocket {
  readonly messages: Record<string, unknown>[] = [];
  #waiters: {
    match: (m: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }[] = [];
  #next = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      this.messages.push(message);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.match(message)) return true;
        w.resolve(message);
        return false;
      });
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'callbridge.v1', { headers });
      ws.once('open', () => resolve(new TestSocket(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** The first message (already received or future) that matches. */
  waitFor(
    match: Partial<Record<string, unknown>> | ((m: Record<string, unknown>) => boolean),
    timeoutMs = 3000,
  ): Promise<Record<string, unknown>> {
    const predicate =
      typeof match === 'function'
        ? match
        : (m: Record<string, unknown>) => Object.entries(match).every(([k, v]) => m[k] === v);
    const seen = this.messages.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no message matching ${JSON.stringify(match)}; got ${JSON.stringify(this.messages)}`,
            ),
          ),
        timeoutMs,
      );
      this.#waiters.push({ match: predicate, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  send(message: Record<string, unknown> | string): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends with a fresh requestId and resolves with the response or error that answers it. */
  async request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const requestId = `r${this.#next++}`;
    this.send({ ...message, requestId });
    return this.waitFor(
      (m) =>
        m['requestId'] === requestId &&
        (m['type'] === 'response' || m['type'] === 'error' || m['type'] === 'pong'),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
