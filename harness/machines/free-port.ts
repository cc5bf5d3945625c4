// SPDX-License-Identifier: GPL-2.0-only
/** A TCP port on the loopback that nothing listens on right now, for QEMU's hostfwd. */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A UDP port on the loopback that nothing is bound to right now, for an XGMAC's socket netdev. */
export function freeLoopbackUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
