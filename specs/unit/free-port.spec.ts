// SPDX-License-Identifier: GPL-2.0-only
/** Loopback ports for runs side by side: free when handed out, and never handed out twice in a row of runs. */
import { expect } from 'chai';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { freeLoopbackPort, freeLoopbackUdpPort } from '../../harness/lib/free-port.ts';
import { FrameSource } from '../../harness/traffic/frame-source.ts';
import { payloadKey } from '../../harness/traffic/payload.ts';

describe('free loopback ports', () => {
  it('hands out ports nothing listens on, none of them twice', async () => {
    const tcp = [];
    const udp = [];
    for (let i = 0; i < 300; i++) {
      tcp.push(await freeLoopbackPort());
      udp.push(await freeLoopbackUdpPort());
    }
    expect(new Set(tcp).size).to.equal(tcp.length);
    expect(new Set(udp).size).to.equal(udp.length);
    const last = tcp.at(-1)!;
    await new Promise<void>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(last, '127.0.0.1', () => server.close(() => resolve()));
    });
  });

  it("gives a frame link two different ends, QEMU's free for QEMU to bind", async () => {
    for (let i = 0; i < 100; i++) {
      using source = await FrameSource.open(payloadKey('free-port'));
      const { harnessPort, qemuPort } = source.link;
      expect(qemuPort).to.not.equal(harnessPort);
      const qemu = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        qemu.once('error', reject);
        qemu.bind(qemuPort, '127.0.0.1', () => resolve());
      });
      await new Promise<void>((resolve) => qemu.close(() => resolve()));
    }
  });
});
