/**
 * One port for everything (node:http, or node:https with tls.cert/tls.key): the Phone UI at
 * `/`, the SDK under `/sdk/`, REST, `/health`, `/metrics`, `/openapi.json`,
 * `/schema/websocket.json`, `/api/info`, and the WebSocket protocol at `/ws`.
 */
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { extname, normalize, resolve, sep } from 'node:path';
import { WebSocketServer } from 'ws';
import type { GatewayConfig } from './config.js';
import { GatewayError } from './errors.js';
import type { Logger } from './log.js';
import type { GatewayMetrics } from './metrics.js';
import { PROMETHEUS_CONTENT_TYPE } from './metrics.js';
import {
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  WEBSOCKET_SCHEMA,
  WEBSOCKET_SUBPROTOCOL,
} from './protocol/websocket.js';
import type { RateLimiter } from './rate-limit.js';
import type { RestContext } from './rest.js';
import { handleRest, isRestPath, openApiDocument } from './rest.js';
import type { WebSocketHub } from './websocket-server.js';

export const WEBSOCKET_PATH = '/ws';
const MAX_BODY_BYTES = 256 * 1024;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.d.ts': 'text/plain; charset=utf-8',
};

/** Static directories: URL prefix → directory. Longest prefix wins. */
export type StaticMounts = Readonly<Record<string, string>>;

export interface HttpServerOptions {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly rest: RestContext;
  readonly hub: WebSocketHub;
  readonly wsConnects: RateLimiter;
  readonly staticMounts: StaticMounts;
  /** Body of GET /health (besides `status`). */
  readonly health: () => Record<string, unknown>;
  /** Body of GET /api/info. */
  readonly info: () => Record<string, unknown>;
}

export class GatewayHttpServer {
  readonly #options: HttpServerOptions;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #log: Logger;
  readonly #sockets = new Set<Socket>();
  #stopping = false;

  constructor(options: HttpServerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'http' });
    const { tls } = options.config;
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.#onRequest(req, res).catch((error: unknown) => {
        this.#log.error('request failed', { path: req.url, error });
        if (!res.headersSent)
          this.#sendError(res, new GatewayError('INTERNAL_ERROR', 'internal error'));
        else res.destroy();
      });
    };
    this.#server =
      tls.cert !== null && tls.key !== null
        ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handler)
        : createHttpServer(handler);
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_MESSAGE_BYTES,
      handleProtocols: (protocols) =>
        protocols.has(WEBSOCKET_SUBPROTOCOL) ? WEBSOCKET_SUBPROTOCOL : false,
    });
    this.#server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.#onUpgrade(req, socket, head),
    );
  }

  /** Starts listening; resolves with the bound address. */
  listen(): Promise<{ host: string; port: number; url: string }> {
    const { host, port } = this.#options.config.listen;
    return new Promise((resolvePromise, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        const address = this.#server.address() as AddressInfo;
        const scheme = this.#options.config.tls.cert === null ? 'http' : 'https';
        const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolvePromise({
          host: address.address,
          port: address.port,
          url: `${scheme}://${shownHost}:${address.port}`,
        });
      });
    });
  }

  /** Stops accepting; /health answers 503 from now on. */
  stopAccepting(): void {
    this.#stopping = true;
  }

  /** Closes the listener, the WebSockets and idle connections. */
  async close(): Promise<void> {
    this.#stopping = true;
    this.#options.hub.close();
    this.#wss.close();
    await new Promise<void>((r) => {
      this.#server.close(() => r());
      this.#server.closeIdleConnections();
      for (const socket of this.#sockets) socket.destroy();
    });
  }

  #clientAddress(req: IncomingMessage): string {
    return req.socket.remoteAddress ?? 'unknown';
  }

  #originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true; // not a browser: origin checks protect browsers only
    const allow = this.#options.config.websocket.originAllowlist;
    if (allow.includes('*')) return true;
    if (allow.length > 0) return allow.includes(origin);
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    const refuse = (status: number, code: string, message: string): void => {
      this.#options.metrics.errors.inc({ code });
      const body = JSON.stringify({ error: { code, message } });
      socket.end(
        `HTTP/1.1 ${status} ${code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    if (path !== WEBSOCKET_PATH)
      return refuse(404, 'NOT_FOUND', `WebSockets live at ${WEBSOCKET_PATH}`);
    if (this.#stopping) return refuse(503, 'SHUTTING_DOWN', 'the gateway is stopping');
    if (!this.#originAllowed(req))
      return refuse(403, 'ORIGIN_NOT_ALLOWED', 'this origin may not connect');
    const source = this.#clientAddress(req);
    if (!this.#options.wsConnects.allow(source))
      return refuse(429, 'RATE_LIMITED', 'too many connections from this address');
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#options.hub.accept(ws, source));
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (isRestPath(path)) {
      const rawBody = await this.#readBody(req, res);
      if (rawBody === null) return;
      const response = await handleRest(this.#options.rest, {
        method,
        path,
        authorization: req.headers.authorization,
        rawBody,
        source: this.#clientAddress(req),
      });
      if (response.status >= 400) {
        const code =
          (response.body as { error?: { code?: string } }).error?.code ?? 'INTERNAL_ERROR';
        this.#options.metrics.errors.inc({ code });
      }
      this.#sendJson(res, response.status, response.body);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      this.#sendError(res, new GatewayError('METHOD_NOT_ALLOWED', `${path} takes GET`));
      return;
    }
    switch (path) {
      case '/health':
        this.#sendJson(res, this.#stopping ? 503 : 200, {
          status: this.#stopping ? 'stopping' : 'ok',
          ...this.#options.health(),
        });
        return;
      case '/metrics':
        res.writeHead(200, {
          'Content-Type': PROMETHEUS_CONTENT_TYPE,
          'Cache-Control': 'no-store',
        });
        res.end(method === 'HEAD' ? undefined : this.#options.metrics.render());
        return;
      case '/openapi.json':
        this.#sendJson(res, 200, openApiDocument(this.#options.rest.version));
        return;
      case '/schema/websocket.json':
        this.#sendJson(res, 200, WEBSOCKET_SCHEMA);
        return;
      case '/api/info':
        this.#sendJson(res, 200, {
          name: 'callbridge',
          version: this.#options.rest.version,
          protocolVersion: PROTOCOL_VERSION,
          websocketPath: WEBSOCKET_PATH,
          websocketSubprotocol: WEBSOCKET_SUBPROTOCOL,
          ...this.#options.info(),
        });
        return;
    }
    await this.#serveStatic(path, method, res);
  }

  async #serveStatic(path: string, method: string, res: ServerResponse): Promise<void> {
    const mounts = Object.entries(this.#options.staticMounts).sort(
      (a, b) => b[0].length - a[0].length,
    );
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      let relative = path.slice(prefix.length);
      if (relative === '' || relative.endsWith('/')) relative += 'index.html';
      let decoded: string;
      try {
        decoded = decodeURIComponent(relative);
      } catch {
        break;
      }
      const root = resolve(dir);
      const file = resolve(root, normalize(decoded).replace(/^([/\\])+/, ''));
      if (!file.startsWith(root + sep) || decoded.includes('\0')) break;
      const type = file.endsWith('.d.ts') ? CONTENT_TYPES['.d.ts'] : CONTENT_TYPES[extname(file)];
      if (type === undefined) continue;
      try {
        const info = await stat(file);
        if (!info.isFile()) continue;
        const body = await readFile(file);
        res.writeHead(200, {
          'Content-Type': type,
          'Content-Length': body.length,
          'Cache-Control': 'no-cache',
        });
        res.end(method === 'HEAD' ? undefined : body);
        return;
      } catch {
        continue;
      }
    }
    this.#sendError(res, new GatewayError('NOT_FOUND', `nothing at ${path}`));
  }

  /** Reads the body up to the limit; answers 413 and returns null beyond it. */
  async #readBody(req: IncomingMessage, res: ServerResponse): Promise<string | null> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        this.#options.metrics.errors.inc({ code: 'PAYLOAD_TOO_LARGE' });
        res.setHeader('Connection', 'close');
        this.#sendError(
          res,
          new GatewayError('PAYLOAD_TOO_LARGE', `bodies are limited to ${MAX_BODY_BYTES} bytes`),
        );
        return null;
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  #sendJson(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
    });
    res.end(text);
  }

  #sendError(res: ServerResponse, error: GatewayError): void {
    this.#sendJson(res, error.httpStatus, { error: error.toJSON() });
  }
}
