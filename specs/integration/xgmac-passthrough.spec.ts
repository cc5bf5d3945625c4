// SPDX-License-Identifier: GPL-2.0-only
/**
 * The emulated Midway XGMAC on the ARM host, for real: patched L0 QEMU,
 * L1 with the kernel under test, the device behind the SMMUv3, driven by
 * the raw VFIO userspace driver while frames stream in from L0. Ends with
 * the fault path the reset is about: DMA after the mapping is gone.
 */
import { expect } from 'chai';
import { mkdtemp } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootDefaultL1 } from './stack-fixture.ts';
import type { L1Session } from '../../harness/machines/l1-session.ts';
import { RemoteAgent } from '../../harness/machines/remote-process.ts';
import { L1 } from '../../harness/machines/l1.ts';
import { L1_PATHS } from '../../harness/plan/layout.ts';
import { XGMAC_PROFILE } from '../../harness/devices/xgmac.ts';
import { FrameSource } from '../../harness/traffic/frame-source.ts';
import { FRAME_HEADER_LEN, payloadKey, verifyPayload } from '../../harness/traffic/payload.ts';
import { ofKind, parseTrace } from '../../harness/trace/l0-trace.ts';

const IOVA = 0x10000000;
const DEVICE = XGMAC_PROFILE.deviceName(0);

describe('the emulated XGMAC behind the SMMUv3 (integration)', function () {
  this.timeout(30 * 60 * 1000);
  const key = payloadKey(`xgmac-passthrough-${Date.now()}`);
  let runDir: string;
  let session: L1Session;
  let sources: FrameSource[] = [];
  let driver: RemoteAgent | undefined;
  let traceFile: string;

  before(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'vfio-reset-xgmac-'));
    traceFile = join(runDir, 'l0-trace.log');
    sources = [await FrameSource.open(key), await FrameSource.open(key)];
    session = await bootDefaultL1(runDir, {
      xgmacs: sources.map((s, i) => ({ link: s.link, mac: `52:54:00:12:34:0${i}` })),
      traceFile,
      globals: [],
    });
  });

  after(async () => {
    for (const s of sources) s.close();
    await session?.[Symbol.asyncDispose]();
  });

  it('appears in L1 as calxeda,hb-xgmac, one device per instance', async () => {
    expect(await new L1(session.ssh).devicesCompatibleWith(XGMAC_PROFILE.compatible)).to.deep.equal([
      XGMAC_PROFILE.deviceName(0),
      XGMAC_PROFILE.deviceName(1),
    ]);
    expect(await new L1(session.ssh).compatibleOf(DEVICE)).to.equal('calxeda,hb-xgmac');
  });

  it('is bound by vfio-platform via driver_override, each instance in an IOMMU group of its own', async () => {
    for (const i of [0, 1]) await new L1(session.ssh).requireVfioPlatform(XGMAC_PROFILE.deviceName(i));
    const groups = await Promise.all([0, 1].map((i) => new L1(session.ssh).iommuGroupOf(XGMAC_PROFILE.deviceName(i))));
    expect(groups[0]).to.be.a('number');
    expect(groups[1]).to.be.a('number');
    expect(groups[0]).to.not.equal(groups[1]);
  });

  it(
    'receives the injected frames through a type1 DMA map and an RX ring: ' + 'payloads verified, IRQs on the eventfd',
    async () => {
      driver = await RemoteAgent.start(
        'xgmac-vfio-driver',
        session.ssh,
        `${L1_PATHS.agents}/xgmac-vfio-driver --device ${DEVICE} --iova 0x${IOVA.toString(16)} --unmap-after-frames 30`,
        join(runDir, 'driver.jsonl'),
      );
      await driver.waitForEvent('ready', 30_000);
      sources[0]!.start(50);
      await driver.waitUntil(() => driver!.ofEvent('frame').length >= 30, 60_000, '30 frames');
      const frames = driver.ofEvent('frame');
      const seqs = frames.map((f) => verifyPayload(key, Buffer.from(String(f['head']), 'hex'), FRAME_HEADER_LEN));
      expect(
        seqs.every((s) => s !== null),
        "every frame the driver saw carries this run's keyed payload",
      ).to.equal(true);
      expect(new Set(seqs).size).to.equal(seqs.length);
      expect(driver.ofEvent('irq').length, 'IRQs delivered to the eventfd').to.be.greaterThan(0);
    },
  );

  it('shows in the L0 trace every DMA access of the working driver translated, within the mapped IOVAs', async () => {
    const events = parseTrace(await readFile(traceFile, 'utf8'));
    await driver!.waitForEvent('unmapped', 30_000);
    // Until the driver removes its DMA map, nothing may fault; the unmap is what makes the first fault.
    const dma = ofKind(events, 'dma').filter((e) => e.instance === 0);
    const firstFault = dma.find((e) => !e.ok)?.t ?? Infinity;
    const mapped = dma.filter((e) => e.t < firstFault);
    expect(
      mapped.length,
      'a descriptor read, a buffer write and a descriptor write for each of 30 frames',
    ).to.be.at.least(30 * 3);
    expect(
      mapped.every((e) => e.iova >= IOVA && e.iova < IOVA + 0x1000000),
      'all within the mapped IOVAs',
    ).to.equal(true);
    const accepted = ofKind(events, 'rx-frame').filter(
      (e) => e.instance === 0 && e.verdict === 'accepted' && e.t < firstFault,
    );
    expect(accepted.length, 'frames the device wrote before the unmap').to.be.at.least(30);
    expect(ofKind(events, 'irq').some((e) => e.instance === 0 && e.level === 1)).to.equal(true);
  });

  it('faults every access in the SMMU once the DMA map is removed, and L1 logs the SMMU event', async () => {
    const unmapped = await driver!.waitForEvent('unmapped', 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    sources[0]!.stop();
    const events = parseTrace(await readFile(traceFile, 'utf8')).filter((e) => e.t > unmapped.receivedAt + 500);
    const dma = ofKind(events, 'dma').filter((e) => e.instance === 0);
    expect(dma.length, 'the device kept trying DMA after the unmap').to.be.greaterThan(0);
    expect(
      dma.filter((e) => e.ok),
      'no DMA access succeeded after the unmap',
    ).to.deep.equal([]);
    const smmu = ofKind(events, 'smmu-event').filter((e) => e.sid === XGMAC_PROFILE.sidBase);
    expect(smmu.length, 'one SMMU event per faulting access').to.equal(dma.length);
    expect(smmu.every((e) => e.type === 'SMMU_EVT_F_TRANSLATION')).to.equal(true);
    const dmesg = (await new L1(session.ssh).dmesgSince(0)).join('\n');
    expect(dmesg).to.match(/arm-smmu-v3 [^:]+: event 0x10 received/);
    await driver!.kill('KILL');
  });
});
