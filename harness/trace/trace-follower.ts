// SPDX-License-Identifier: GPL-2.0-only
/**
 * The L0 trace read while QEMU writes it: the frames that reached each
 * XGMAC so far, and the events that tell the device's state at an instant
 * (its IRQ line, frames in and out, TX descriptor reads, its registers), on
 * the trace's own clock (the harness's wall clock). QEMU
 * flushes the log after every line, so a read sees every event logged
 * before it; a line still being written waits for the next read.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { parseTraceLine, type TraceEvent } from './l0-trace.ts';

/** The lines of the events that tell the device's state, as the kill-state reading needs them. */
const STATE_LINE = /:(xgmac_irq|xgmac_rx_frame|xgmac_tx_frame|xgmac_state) |:xgmac_dma .*what=tx-/;

export class TraceFollower {
  private offset = 0;
  private partial = '';
  private readonly frames = new Map<number, number[]>();
  private readonly stateEvents: TraceEvent[] = [];

  private constructor(private readonly file: FileHandle) {}

  static async open(path: string): Promise<TraceFollower> {
    return new TraceFollower(await open(path, 'r'));
  }

  /** Reads what was logged since the last read. */
  async refresh(): Promise<void> {
    const { size } = await this.file.stat();
    if (size <= this.offset) return;
    const chunk = Buffer.alloc(size - this.offset);
    const { bytesRead } = await this.file.read(chunk, 0, chunk.length, this.offset);
    this.offset += bytesRead;
    const lines = (this.partial + chunk.subarray(0, bytesRead).toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      // Only these lines matter here; the judge parses (and rejects) the whole trace afterwards.
      if (!STATE_LINE.test(line)) continue;
      const event = parseTraceLine(line);
      if (event === null) continue;
      this.stateEvents.push(event);
      if (event.kind !== 'rx-frame') continue;
      const times = this.frames.get(event.instance) ?? [];
      times.push(event.t);
      this.frames.set(event.instance, times);
    }
  }

  /** The events that tell the device's state, as of the last read. */
  get events(): readonly TraceEvent[] {
    return this.stateEvents;
  }

  /** How many frames reached XGMAC `instance` at or after `from` (ms, wall clock), as of the last read. */
  framesSince(instance: number, from: number): number {
    return (this.frames.get(instance) ?? []).filter((t) => t >= from).length;
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}
