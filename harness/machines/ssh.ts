// SPDX-License-Identifier: GPL-2.0-only
/**
 * SSH into L1 (dropbear) over the user-net port forward: the harness's own
 * key, readiness retried until the guest's sshd answers, commands with a
 * timeout, and long-running commands whose output arrives line by line.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import pRetry, { AbortError } from 'p-retry';
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { InfrastructureError } from '../lib/errors.ts';
import { sleep, withDeadline } from '../lib/time.ts';

/** ssh2's error when the server answers an exec request with a channel failure. */
const EXEC_REFUSED = 'Unable to exec';
const EXEC_ATTEMPTS = 3;

/** One matching pair, read together: a harness uses its own halves even while another replaces the stored key. */
export interface KeyPair {
  readonly privateKey: string;
  /** OpenSSH authorized_keys line. */
  readonly publicKey: string;
}

/** Writes the key's authorized_keys into a run directory, for L1's fw_cfg; returns its path. */
export async function authorizedKeysFile(runDir: string, key: KeyPair): Promise<string> {
  const path = join(runDir, 'authorized_keys');
  await writeFile(path, key.publicKey);
  return path;
}

/**
 * A new ed25519 pair that ssh2 itself can parse again. ssh2's generator
 * drops a leading zero byte of the public key (about one key in 256, seen
 * here on a fresh machine: "Malformed OpenSSH private key"), so a pair is
 * only kept once both halves parse.
 */
function generateUsableKeyPair(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'vfio-reset harness' });
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error))
      return pair;
  }
}

/** The harness's SSH identity, made once per cache and reused; replaced if it does not parse. */
export async function harnessKey(cacheRoot: string): Promise<KeyPair> {
  const dir = join(cacheRoot, 'ssh');
  const priv = join(dir, 'id_ed25519');
  const pub = `${priv}.pub`;
  const usable =
    existsSync(priv) &&
    existsSync(pub) &&
    !(ssh2.utils.parseKey(await readFile(priv, 'utf8')) instanceof Error) &&
    !(ssh2.utils.parseKey(await readFile(pub, 'utf8')) instanceof Error);
  if (!usable) {
    // The pair is made in a directory of its own and renamed into place whole: two harnesses that make
    // keys at once end up with one of the two pairs, never a private key of one and the public of the other.
    const fresh = `${dir}.${process.pid}.tmp`;
    await rm(fresh, { recursive: true, force: true });
    await mkdir(fresh, { recursive: true, mode: 0o700 });
    const pair = generateUsableKeyPair();
    await writeFile(join(fresh, basename(priv)), pair.private, { mode: 0o600 });
    await writeFile(join(fresh, basename(pub)), `${pair.public}\n`);
    const broken = `${dir}.${process.pid}.broken`;
    await rename(dir, broken).catch(() => {});
    await rm(broken, { recursive: true, force: true });
    // ENOTEMPTY: another harness put its pair in place first; that one is used.
    await rename(fresh, dir).catch(() => rm(fresh, { recursive: true, force: true }));
  }
  // Read as one pair: the public key on file must be the private key's own.
  for (let attempt = 0; attempt < 5; attempt++) {
    const privateKey = await readFile(priv, 'utf8').catch(() => '');
    const publicKey = await readFile(pub, 'utf8').catch(() => '');
    const parsed = ssh2.utils.parseKey(privateKey);
    const onFile = ssh2.utils.parseKey(publicKey);
    if (!(parsed instanceof Error) && !(onFile instanceof Error) && parsed.getPublicSSH().equals(onFile.getPublicSSH()))
      return { privateKey, publicKey };
    await sleep(50);
  }
  throw new InfrastructureError(`the SSH key pair in ${dir} does not match; remove that directory and run again`);
}

export interface ExecResult {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

const EXIT_MARK = '__vfio_reset_exit_status=';

/** Separates the exit status the shell printed after the command from the command's own output. */
export function splitExitMark(stdout: string): { stdout: string; code: number | null } {
  const at = stdout.lastIndexOf(`\n${EXIT_MARK}`);
  if (at === -1) return { stdout, code: null };
  const code = Number(/^(\d+)/.exec(stdout.slice(at + 1 + EXIT_MARK.length))?.[1]);
  return { stdout: stdout.slice(0, at), code: Number.isInteger(code) ? code : null };
}

export class SshSession {
  /** When and why the connection ended, for the message of every command that finds it gone. */
  private ended: { readonly at: number; readonly why: string } | null = null;
  private lastError: string | null = null;
  private closing = false;

  private constructor(
    private readonly client: ssh2.Client,
    readonly port: number,
  ) {
    client.on('error', (error: Error) => (this.lastError = error.message));
    client.on('close', () => {
      this.ended ??= {
        at: Date.now(),
        why: this.lastError ?? (this.closing ? 'closed by the harness' : "closed from L1's side"),
      };
    });
  }

  /** How the connection ended, as a clause for an error message ('' while it is up). */
  private endedClause(): string {
    if (this.ended === null) return '';
    return `; the connection ended ${((Date.now() - this.ended.at) / 1000).toFixed(1)} s before: ${this.ended.why}`;
  }

  /** Connects, retrying while the guest's sshd is not up yet, for at most `timeoutMs`. */
  static async connect(
    port: number,
    key: KeyPair,
    timeoutMs: number,
    aborted: () => string | null = () => null,
  ): Promise<SshSession> {
    const deadline = Date.now() + timeoutMs;
    return pRetry(
      async () => {
        const why = aborted();
        if (why !== null) throw new AbortError(new InfrastructureError(`SSH to L1 abandoned: ${why}`));
        const client = new ssh2.Client();
        // Every error of the client is heard, not just the first: a handshake that timed out reports again when
        // its connection is lost (seen in the soak as an uncaught "Connection lost before handshake"), and after
        // the handshake an error (the guest died) fails the commands in flight through their channels.
        client.on('error', () => {});
        try {
          await new Promise<void>((resolve, reject) => {
            client.once('ready', () => resolve());
            client.once('error', reject);
            client.connect({
              host: '127.0.0.1',
              port,
              username: 'root',
              privateKey: key.privateKey,
              readyTimeout: Math.min(5000, timeoutMs),
              keepaliveInterval: 5000,
            });
          });
        } catch (error) {
          client.destroy();
          throw error;
        }
        return new SshSession(client, port);
      },
      {
        retries: Math.ceil(timeoutMs / 500),
        minTimeout: 500,
        maxTimeout: 500,
        factor: 1,
        shouldRetry: () => Date.now() < deadline,
      },
    ).catch((error: Error) => {
      throw error instanceof InfrastructureError
        ? error
        : new InfrastructureError(`SSH to L1 on port ${port} not ready within ${timeoutMs / 1000} s: ${error.message}`);
    });
  }

  /** A channel for `command`; a connection that is gone is L1 gone (or its network), never a harness bug. */
  private async open(command: string): Promise<ClientChannel> {
    const lost = (error: Error) =>
      new InfrastructureError(
        `SSH to L1 lost (${error.message}${this.endedClause()}) running: ${command.split('\n')[0]}`,
      );
    for (let attempt = 1; ; attempt++) {
      try {
        return await new Promise<ClientChannel>((resolve, reject) => {
          try {
            this.client.exec(command, (error, channel) => (error ? reject(error) : resolve(channel)));
          } catch (error) {
            // ssh2 throws at once on a connection that is already closed.
            reject(lost(error as Error));
          }
        });
      } catch (error) {
        // dropbear refused the exec request itself (seen once in 100 runs, right after another command ended):
        // the command never started, so asking again is safe.
        if ((error as Error).message === EXEC_REFUSED && attempt < EXEC_ATTEMPTS) {
          await sleep(200);
          continue;
        }
        throw error instanceof InfrastructureError ? error : lost(error as Error);
      }
    }
  }

  /**
   * Runs `command` to completion; rejects if it takes longer than `timeoutMs`.
   * The exit status is also printed by the shell after the command: dropbear
   * sometimes closes the channel of a short-lived command without sending
   * its exit status (seen here in about one command in a hundred).
   */
  async exec(command: string, timeoutMs = 30_000): Promise<ExecResult> {
    const channel = await this.open(`${command}\nprintf '\\n${EXIT_MARK}%d\\n' "$?"`);
    let stdout = '';
    let stderr = '';
    const timedOut = () =>
      new InfrastructureError(`L1 command timed out after ${timeoutMs / 1000} s: ${command}`, stderr || stdout);
    return withDeadline(
      timeoutMs,
      timedOut,
      (abort) =>
        new Promise((resolve) => {
          abort.addEventListener('abort', () => channel.close(), { once: true });
          channel.on('data', (d: Buffer) => (stdout += d.toString()));
          channel.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          let code: number | null = null;
          let signal: string | null = null;
          channel.on('exit', (c: number | null, s?: string) => {
            code = c;
            signal = s ?? null;
          });
          channel.on('close', () => {
            const printed = splitExitMark(stdout);
            resolve({ code: printed.code ?? code, signal, stdout: printed.stdout, stderr });
          });
        }),
    );
  }

  /** Runs `command`, failing with its output unless it exits 0. */
  async check(command: string, timeoutMs = 30_000): Promise<string> {
    const result = await this.exec(command, timeoutMs);
    if (result.code !== 0) {
      throw new InfrastructureError(
        `L1 command failed (exit ${result.code ?? result.signal}): ${command}`,
        `${result.stdout}${result.stderr}`,
      );
    }
    return result.stdout;
  }

  /** Starts a long-running command; `onOutput` receives its stdout and stderr as they arrive. */
  async spawn(
    command: string,
    onOutput: (chunk: string) => void,
  ): Promise<{ done: Promise<number | null>; close: () => void; write: (text: string) => void }> {
    const channel = await this.open(command);
    channel.on('data', (d: Buffer) => onOutput(d.toString()));
    channel.stderr.on('data', (d: Buffer) => onOutput(d.toString()));
    const done = new Promise<number | null>((resolve) => {
      let code: number | null = null;
      channel.on('exit', (c: number | null) => (code = c));
      channel.on('close', () => resolve(code));
    });
    return { done, close: () => channel.close(), write: (text) => void channel.write(text) };
  }

  /** A stream to TCP `port` on L1's loopback, through the SSH connection (dropbear's direct-tcpip). */
  forwardToLoopback(port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      try {
        this.client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (error, channel) =>
          error ? reject(error) : resolve(channel),
        );
      } catch (error) {
        reject(error as Error);
      }
    });
  }

  end(): void {
    this.closing = true;
    this.client.end();
  }
}
