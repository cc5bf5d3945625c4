// SPDX-License-Identifier: GPL-2.0-only
/**
 * Loopback ports that nothing uses right now, for QEMU's hostfwd and the
 * XGMACs' socket netdevs. The kernel may hand a port just closed out
 * again: with runs side by side, one harness never hands out a port it
 * handed out among its last few thousand.
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/** The ports handed out last, oldest first: far more than the runs at once hold (a few each, at most 32 runs). */
const REMEMBERED = 4096;
const handedOut = { tcp: new Set<number>(), udp: new Set<number>() };

async function unique(kind: 'tcp' | 'udp', pick: () => Promise<number>): Promise<number> {
  const recent = handedOut[kind];
  for (;;) {
    const port = await pick();
    if (recent.has(port)) continue;
    recent.add(port);
    // A port handed out thousands of ports ago belongs to a run long finished: it may come round again.
    if (recent.size > REMEMBERED) recent.delete(recent.values().next().value!);
    return port;
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
