// SPDX-License-Identifier: GPL-2.0-only
/**
 * The exit status the shell prints after each L1 command (dropbear sometimes
 * drops the channel's own), and an exec request dropbear refuses.
 */
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { splitExitMark, SshSession } from '../../harness/machines/ssh.ts';

describe('splitExitMark', () => {
  it("takes the printed status and gives back the command's own output unchanged", () => {
    expect(splitExitMark('hello\n\n__vfio_reset_exit_status=0\n')).to.deep.equal({ stdout: 'hello\n', code: 0 });
    expect(splitExitMark('\n__vfio_reset_exit_status=2\n')).to.deep.equal({ stdout: '', code: 2 });
  });

  it('uses the last mark, so output that contains the mark text cannot fake a status', () => {
    expect(splitExitMark('x\n__vfio_reset_exit_status=0\n\n__vfio_reset_exit_status=1\n').code).to.equal(1);
  });

  it('says null when the shell never printed it (the command was killed)', () => {
    expect(splitExitMark('partial output')).to.deep.equal({ stdout: 'partial output', code: null });
  });
});

describe('an L1 command whose exec request dropbear refuses', () => {
  /** A client whose server refuses the first `refusals` exec requests, then runs `true`. */
  function session(refusals: number) {
    let asked = 0;
    const client = Object.assign(new EventEmitter(), {
      exec(command: string, cb: (error: Error | undefined, channel?: unknown) => void) {
        asked++;
        if (asked <= refusals) return cb(new Error('Unable to exec'));
        const channel = Object.assign(new EventEmitter(), { stderr: new EventEmitter(), close: () => {} });
        cb(undefined, channel);
        setImmediate(() => {
          channel.emit('data', Buffer.from('\n__vfio_reset_exit_status=0\n'));
          channel.emit('close');
        });
      },
    });
    const ssh = new (SshSession as unknown as new (c: unknown, port: number) => SshSession)(client, 2222);
    return { ssh, client, asked: () => asked };
  }

  it('asks again: the command never started', async () => {
    const s = session(2);
    expect((await s.ssh.exec('true')).code).to.equal(0);
    expect(s.asked()).to.equal(3);
  });

  it('gives up after three refusals, as L1 lost', async () => {
    const s = session(3);
    const error = await s.ssh.exec('true').then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).to.equal('SSH to L1 lost (Unable to exec) running: true');
    expect(s.asked()).to.equal(3);
  });
});

describe('an L1 command on a connection that has ended', () => {
  function endedSession(error: Error | null) {
    const client = Object.assign(new EventEmitter(), {
      exec() {
        throw new Error('Not connected');
      },
      end() {},
    });
    const ssh = new (SshSession as unknown as new (c: unknown, port: number) => SshSession)(client, 2222);
    if (error !== null) client.emit('error', error);
    client.emit('close');
    return ssh;
  }

  const messageOf = (ssh: SshSession) =>
    ssh.exec('uname -r').then(
      () => '',
      (e: Error) => e.message,
    );

  it("names the connection's own last error and when it ended", async () => {
    expect(await messageOf(endedSession(new Error('read ECONNRESET')))).to.match(
      /^SSH to L1 lost \(Not connected; the connection ended \d+\.\d s before: read ECONNRESET\) running: uname -r$/,
    );
  });

  it("says the connection was closed from L1's side when it ended without an error", async () => {
    expect(await messageOf(endedSession(null))).to.contain("ended 0.0 s before: closed from L1's side");
  });
});
