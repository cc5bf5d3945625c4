// SPDX-License-Identifier: GPL-2.0-only
/**
 * Streams this run's frames into an XGMAC of the L0 QEMU at a set rate.
 * The XGMAC's netdev is QEMU's UDP socket backend on the loopback
 * (`-netdev socket,id=…,udp=127.0.0.1:<harness>,localaddr=127.0.0.1:<qemu>`):
 * each datagram is one Ethernet frame.
 */
import { createSocket, type Socket } from 'node:dgram';
import { freeLoopbackUdpPort } from '../lib/free-port.ts';
import { buildFrame, type PayloadKey } from './payload.ts';

export interface FrameLink {
  /** The harness's port: QEMU sends the XGMAC's TX frames here. */
  readonly harnessPort: number;
  /** QEMU's port: frames sent here arrive at the XGMAC. */
  readonly qemuPort: number;
}

/** The -netdev argument value of the backend `id` that carries `link`'s frames. */
export function frameLinkNetdevArg(id: string, link: FrameLink): string {
  return `socket,id=${id},udp=127.0.0.1:${link.harnessPort},localaddr=127.0.0.1:${link.qemuPort}`;
}

/** A frame the XGMAC sent, as the harness's end of the link received it. */
export interface WireFrame {
  /** Wall-clock ms when it arrived (the L0 trace's clock). */
  readonly t: number;
  readonly bytes: Buffer;
}

export interface SentFrame {
  readonly seq: number;
  /** Wall-clock ms when handed to the socket. */
  readonly t: number;
}

export class FrameSource {
  private timer: NodeJS.Timeout | undefined;
  private nextSeq = 0;
  readonly sent: SentFrame[] = [];
  readonly received: WireFrame[] = [];

  private constructor(
    private readonly socket: Socket,
    readonly link: FrameLink,
    readonly key: PayloadKey,
  ) {
    socket.on('message', (bytes) => this.received.push({ t: Date.now(), bytes }));
  }

  /**
   * Binds the harness's end of the link on a free loopback port, then picks
   * QEMU's end while it is held: picked first, QEMU's port was closed again
   * until QEMU binds it, and the harness's own bind could be handed that very
   * port (seen once: QEMU then failed "Address already in use").
   */
  static async open(key: PayloadKey): Promise<FrameSource> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    const qemuPort = await freeLoopbackUdpPort();
    return new FrameSource(socket, { harnessPort: socket.address().port, qemuPort }, key);
  }

  sendOne(): void {
    const seq = this.nextSeq++;
    this.socket.send(buildFrame(this.key, seq), this.link.qemuPort, '127.0.0.1');
    this.sent.push({ seq, t: Date.now() });
  }

  /**
   * Sends frames at `perSecond` until stopped (or `max` frames). A tick that
   * comes late (the harness starved on a loaded host) sends the frames that
   * were due meanwhile, at most a second's worth: the device gets them as a
   * backlog, which the judge tells from frames that never came
   * (judge/l0-window.ts), instead of a stretch without frames.
   */
  start(perSecond: number, max = Infinity): void {
    this.stop();
    const interval = Math.max(1, Math.round(1000 / perSecond));
    const startedAt = Date.now();
    const before = this.sent.length;
    this.timer = setInterval(() => {
      const due = Math.floor(((Date.now() - startedAt) * perSecond) / 1000) + 1 - (this.sent.length - before);
      for (let n = Math.min(due, perSecond); n > 0; n--) {
        if (this.sent.length >= max) return this.stop();
        this.sendOne();
      }
    }, interval);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
    this.socket.close();
  }

  /** `using source = ...`: closed on every way out of the block. */
  [Symbol.dispose](): void {
    this.close();
  }
}
