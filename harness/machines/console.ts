// SPDX-License-Identifier: GPL-2.0-only
/**
 * A machine's serial console, captured from the first byte to a log file,
 * with waits that name both success and failure: a kernel panic fails a
 * wait at once with the reason and the console tail, never by a timeout.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { lastLines } from '../lib/errors.ts';
import { withDeadline } from '../lib/time.ts';

/** Console lines that end a wait at once: the machine cannot get where it was going. */
export const FATAL_CONSOLE_PATTERNS: readonly RegExp[] = [
  /Kernel panic - not syncing[^\n]*/,
  /---\[ end trace [0-9a-f]+ \]---/,
  /Attempted to kill init[^\n]*/,
];

export class ConsoleWaitError extends Error {
  override readonly name = 'ConsoleWaitError';
  constructor(
    message: string,
    readonly reason: 'failure-pattern' | 'timeout' | 'closed',
    readonly tail: string,
  ) {
    super(`${message}\n--- console tail ---\n${tail}`);
  }
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly failure?: readonly RegExp[];
  /** What the wait is for, in the error message. */
  readonly what?: string;
}

interface Waiter {
  readonly success: RegExp;
  readonly failure: readonly RegExp[];
  readonly from: number;
  readonly resolve: (m: RegExpExecArray) => void;
  readonly reject: (e: Error) => void;
  readonly what: string;
}

export class ConsoleLog {
  private text = '';
  private readonly file: WriteStream | null;
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<() => void>();
  private closedReason: string | null = null;
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(
    readonly name: string,
    logPath: string | null,
  ) {
    this.file = logPath === null ? null : createWriteStream(logPath, { flags: 'a' });
  }

  /** Everything received so far. */
  get contents(): string {
    return this.text;
  }

  /** Offset to pass as `from` so a wait only looks at what arrives after now. */
  get mark(): number {
    return this.text.length;
  }

  tail(lines = 40): string {
    return lastLines(this.text, lines);
  }

  push(chunk: Buffer | string): void {
    const s = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    this.file?.write(chunk);
    this.text += s.replace(/\r\n/g, '\n');
    for (const waiter of [...this.waiters]) this.check(waiter);
    for (const listener of [...this.listeners]) listener();
  }

  /** Calls `listener` after every chunk; returns the function that stops it. */
  onText(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The producer has gone (the machine exited): pending waits fail with the tail. */
  close(reason: string): void {
    this.closedReason = reason;
    for (const waiter of [...this.waiters]) this.check(waiter);
    this.file?.end();
  }

  private check(waiter: Waiter): void {
    const seen = this.text.slice(waiter.from);
    // A failure line is judged whole: a chunk that ends mid-line would name half the panic.
    const whole = this.closedReason === null ? seen.slice(0, seen.lastIndexOf('\n') + 1) : seen;
    for (const failure of waiter.failure) {
      const hit = failure.exec(whole);
      if (hit) {
        this.waiters.delete(waiter);
        waiter.reject(
          new ConsoleWaitError(
            `${this.name}: ${waiter.what}: console shows "${hit[0].trim()}"`,
            'failure-pattern',
            this.tail(),
          ),
        );
        return;
      }
    }
    const match = waiter.success.exec(seen);
    if (match) {
      this.waiters.delete(waiter);
      waiter.resolve(match);
      return;
    }
    if (this.closedReason !== null) {
      this.waiters.delete(waiter);
      waiter.reject(
        new ConsoleWaitError(
          `${this.name}: ${waiter.what}: ${this.closedReason} before it happened`,
          'closed',
          this.tail(),
        ),
      );
    }
  }

  /** Waits until `success` matches the console text after `from` (default: the whole log). */
  waitFor(success: RegExp, options: WaitOptions & { from?: number }): Promise<RegExpExecArray> {
    const what = options.what ?? `waiting for /${success.source}/`;
    const timedOut = () =>
      new ConsoleWaitError(
        `${this.name}: ${what}: no match within ${options.timeoutMs / 1000} s`,
        'timeout',
        this.tail(),
      );
    return withDeadline(
      options.timeoutMs,
      timedOut,
      (signal) =>
        new Promise((resolve, reject) => {
          const waiter: Waiter = {
            success,
            failure: options.failure ?? FATAL_CONSOLE_PATTERNS,
            from: options.from ?? 0,
            what,
            resolve,
            reject,
          };
          signal.addEventListener('abort', () => this.waiters.delete(waiter), { once: true });
          this.waiters.add(waiter);
          this.check(waiter);
        }),
    );
  }
}
