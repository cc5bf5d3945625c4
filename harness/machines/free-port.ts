// SPDX-License-Identifier: GPL-2.0-only
/**
 * Loopback ports that nothing uses right now, for QEMU's hostfwd and the
 * XGMACs' socket netdevs. The kernel may hand a port just closed out
 * again: with runs side by side, a port is never handed out twice by one
 * harness (there are tens of thousands; a campaign uses a few per run).
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

const handedOut = { tcp: new Set<number>(), udp: new Set<number>() };

async function unique(kind: 'tcp' | 'udp', pick: () => Promise<number>): Promise<number> {
  for (;;) {
    const port = await pick();
    if (!handedOut[kind].has(port)) {
      handedOut[kind].add(port);
      return port;
    }
  }
}

export function freeLoopbackPort(): Promise<number> {
  return unique('tcp', anyTcpPort);
}

export function freeLoopbackUdpPort(): Promise<number> {
  return unique('udp', anyUdpPort);
}

function anyTcpPort(): Promise<number> {
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

function anyUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
