// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import { SshSession } from '../../harness/machines/ssh.ts';
import { InfrastructureError } from '../../harness/lib/errors.ts';
import { rejectionOf } from '../support.ts';
import { sleep } from '../../harness/lib/time.ts';

describe('SSH to a guest whose sshd is not ready (SshSession.connect)', function () {
  this.timeout(10_000);
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];
  const uncaught: Error[] = [];
  const onUncaught = (e: Error) => uncaught.push(e);

  beforeEach(async () => {
    // Like dropbear while L1 boots: it takes the connection, says nothing, then drops it.
    server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
      setTimeout(() => socket.destroy(), 400);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    uncaught.length = 0;
    process.prependListener('uncaughtException', onUncaught);
  });

  afterEach(async () => {
    process.off('uncaughtException', onUncaught);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('gives up with one InfrastructureError, and no second error of a failed handshake escapes', async () => {
    const key = ssh2.utils.generateKeyPairSync('ed25519');
    const error = await rejectionOf(SshSession.connect(port, { privateKey: key.private, publicKey: key.public }, 300));
    expect(error).to.be.instanceOf(InfrastructureError);
    expect(error.message).to.match(/SSH to L1 on port \d+ not ready within 0.3 s/);
    // The dropped connections of the attempts report after the attempts gave up.
    await sleep(800);
    expect(uncaught.map((e) => e.message)).to.deep.equal([]);
  });
});
