// SPDX-License-Identifier: GPL-2.0-only
/** Where a kill landed, read from the L0 trace: each state on a trace made to show it, and on recorded runs. */
import { expect } from 'chai';
import { killStatesOf } from '../../harness/judge/kill-state.ts';
import { parseTrace } from '../../harness/trace/l0-trace.ts';
import { loadEvidence } from '../../harness/judge/evidence.ts';
import { asRunDir, RUN_FIXTURES } from '../support.ts';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';

const KILL = 1_000_000;
const line = (ms: number, rest: string) => `1@${(ms / 1000).toFixed(6)}:${rest}`;
const STARTED = line(KILL - 500, 'xgmac_state xgmac=0 dma_control=0x2002 intr_ena=0x1a0c1 mac_control=0xc');
const statesOf = (...lines: string[]) => killStatesOf(parseTrace([STARTED, ...lines].join('\n')), 0, KILL);

describe('where the kill landed (the device state at the kill, from the L0 trace)', () => {
  it('calls a device that moved nothing just before and has its line low idle', () => {
    expect(
      statesOf(
        line(KILL - 50, 'xgmac_rx_frame xgmac=0 verdict=accepted size=142 reason=ok'),
        line(KILL - 49, 'xgmac_irq xgmac=0 line=0 level=1'),
        line(KILL - 48, 'xgmac_irq xgmac=0 line=0 level=0'),
      ),
    ).to.deep.equal(['idle']);
  });

  it('sees a frame taken less than one frame interval before, and a line left asserted', () => {
    expect(
      statesOf(
        line(KILL - 2, 'xgmac_rx_frame xgmac=0 verdict=accepted size=142 reason=ok'),
        line(KILL - 1, 'xgmac_irq xgmac=0 line=0 level=1'),
      ),
    ).to.deep.equal(['rx-mid-frame', 'irq-unacked']);
  });

  it('sees an RX ring with nothing left to fill, and ignores what comes after the kill or from another XGMAC', () => {
    expect(
      statesOf(
        line(KILL - 30, 'xgmac_rx_frame xgmac=0 verdict=dropped size=142 reason=no-descriptor'),
        line(KILL - 1, 'xgmac_rx_frame xgmac=1 verdict=accepted size=142 reason=ok'),
        line(KILL + 1, 'xgmac_rx_frame xgmac=0 verdict=accepted size=142 reason=ok'),
      ),
    ).to.deep.equal(['rx-ring-exhausted']);
  });

  it('sees a TX engine at work only while DMA_CONTROL.ST is set', () => {
    const tx = line(KILL - 1, 'xgmac_dma xgmac=0 dir=read what=tx-desc iova=0x10008000 len=16 result=ok');
    expect(statesOf(tx)).to.deep.equal(['tx-mid-ring']);
    const stopped = line(KILL - 3, 'xgmac_state xgmac=0 dma_control=0x2 intr_ena=0x1a0c1 mac_control=0xc');
    expect(statesOf(stopped, tx)).to.deep.equal(['idle']);
  });

  it('gives every recorded run that reached the kill at least one state', async () => {
    for (const name of ['raw-driver-pass-continuous', 'vm-pass-continuous', 'raw-driver-pass-silent']) {
      const dir = await asRunDir(join(RUN_FIXTURES, name));
      try {
        const { evidence, logs } = await loadEvidence(dir);
        if (logs instanceof Error || logs.trace === null) throw new Error(`${name}: no trace`);
        const states = killStatesOf(logs.trace, 0, evidence.marks['kill']!);
        expect(states, name).to.have.length.above(0);
        // The silent pattern stops the frames before the kill: nothing can be mid-frame then.
        if (name.endsWith('silent')) expect(states, name).to.not.include('rx-mid-frame');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });
});
