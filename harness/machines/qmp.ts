// SPDX-License-Identifier: GPL-2.0-only
/**
 * A QMP client over a unix socket, or any byte stream (an SSH channel to
 * L1's QEMU): reads the greeting, negotiates
 * capabilities, matches replies to commands by id and hands asynchronous
 * events to listeners. The framing (one JSON object a line) is separated
 * from the socket so that it can be tested on its own.
 */
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import { withDeadline } from '../lib/time.ts';

export interface QmpEvent {
  readonly event: string;
  readonly data?: Record<string, unknown>;
  readonly timestamp?: { seconds: number; microseconds: number };
}

export type QmpMessage =
  | { readonly kind: 'greeting'; readonly version: unknown }
  | { readonly kind: 'return'; readonly id: string | undefined; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: string | undefined; readonly errorClass: string; readonly desc: string }
  | { readonly kind: 'event'; readonly event: QmpEvent };

/** Splits a byte stream into QMP messages; keeps a partial trailing line for the next chunk. */
export class QmpFramer {
  private pending = '';

  push(chunk: string): QmpMessage[] {
    this.pending += chunk;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    const out: QmpMessage[] = [];
    for (const line of lines) {
      const trimmed = line.trim();
      if (trimmed === '') continue;
      out.push(parseQmpMessage(JSON.parse(trimmed) as Record<string, unknown>));
    }
    return out;
  }
}

export function parseQmpMessage(obj: Record<string, unknown>): QmpMessage {
  const id = typeof obj['id'] === 'string' ? obj['id'] : undefined;
  if ('QMP' in obj) return { kind: 'greeting', version: (obj['QMP'] as Record<string, unknown>)['version'] };
  if ('return' in obj) return { kind: 'return', id, value: obj['return'] };
  if ('error' in obj) {
    const error = obj['error'] as Record<string, unknown>;
    return { kind: 'error', id, errorClass: String(error['class']), desc: String(error['desc']) };
  }
  if ('event' in obj) return { kind: 'event', event: obj as unknown as QmpEvent };
  throw new Error(`unrecognised QMP message: ${JSON.stringify(obj)}`);
}

export class QmpError extends Error {
  override readonly name = 'QmpError';
  constructor(
    readonly command: string,
    readonly errorClass: string,
    desc: string,
  ) {
    super(`QMP ${command} failed: ${errorClass}: ${desc}`);
  }
}

export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: [] }> {
  private readonly framer = new QmpFramer();
  private readonly waiting = new Map<
    string,
    { command: string; resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  private nextId = 0;
  private closed = false;
  readonly events: QmpEvent[] = [];

  private constructor(private readonly socket: Duplex) {
    super();
  }

  /** Connects, waits for the greeting and leaves the client in command mode. */
  static connect(path: string, timeoutMs = 10_000): Promise<QmpClient> {
    return QmpClient.over(connect(path), path, timeoutMs);
  }

  /** As connect(), over a stream already opened to a QMP server that `where` names. */
  static async over(socket: Duplex, where: string, timeoutMs = 10_000): Promise<QmpClient> {
    socket.setEncoding('utf8');
    const client = new QmpClient(socket);
    socket.on('data', (chunk: string) => client.receive(chunk));
    socket.on('close', () => client.fail(new Error('QMP connection closed')));
    socket.on('error', (e) => client.fail(e));
    // A QEMU that never greets must not keep its socket open beside the next attempt.
    await withDeadline(
      timeoutMs,
      () => new Error(`no QMP greeting on ${where} within ${timeoutMs} ms`),
      (signal) =>
        new Promise<void>((resolve, reject) => {
          signal.addEventListener('abort', () => socket.destroy(), { once: true });
          socket.once('error', reject);
          client.onGreeting = resolve;
        }),
    );
    await client.execute('qmp_capabilities');
    return client;
  }

  private onGreeting: () => void = () => {};

  private receive(chunk: string): void {
    for (const message of this.framer.push(chunk)) {
      switch (message.kind) {
        case 'greeting':
          this.onGreeting();
          break;
        case 'event':
          this.events.push(message.event);
          this.emit('event', message.event);
          break;
        case 'return':
        case 'error': {
          const waiter = message.id !== undefined ? this.waiting.get(message.id) : undefined;
          if (waiter === undefined || message.id === undefined) break;
          this.waiting.delete(message.id);
          if (message.kind === 'return') waiter.resolve(message.value);
          else waiter.reject(new QmpError(waiter.command, message.errorClass, message.desc));
          break;
        }
      }
    }
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    this.emit('close');
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(`QMP ${command}: connection closed`));
    const id = `vfio-reset-${this.nextId++}`;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { command, resolve, reject });
      this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
  }

  /** Resolves with the first event named `name` that arrives from now on. */
  waitForEvent(name: string, timeoutMs: number): Promise<QmpEvent> {
    return withDeadline(
      timeoutMs,
      () => new Error(`no QMP event ${name} within ${timeoutMs} ms`),
      (signal) =>
        new Promise((resolve) => {
          const listener = (event: QmpEvent) => {
            if (event.event !== name) return;
            this.off('event', listener);
            resolve(event);
          };
          signal.addEventListener('abort', () => this.off('event', listener), { once: true });
          this.on('event', listener);
        }),
    );
  }

  close(): void {
    // Through fail(), so that commands still waiting for a reply are rejected rather than left pending forever.
    this.fail(new Error('QMP connection closed'));
    this.socket.destroy();
  }
}
