// SPDX-License-Identifier: GPL-2.0-only
/** The frame source's pace: frames due while the harness was starved go out late rather than never. */
import { expect } from 'chai';
import { FrameSource } from '../../harness/traffic/frame-source.ts';
import { payloadKey } from '../../harness/traffic/payload.ts';
import { sleep } from '../../harness/lib/time.ts';

describe('the frame source', () => {
  it('sends the frames that fell due while its event loop was blocked, as a backlog', async () => {
    using source = await FrameSource.open(payloadKey('pace'));
    const perSecond = 200;
    source.start(perSecond);
    const started = Date.now();
    await sleep(20);
    // The harness starved: nothing runs for 300 ms.
    while (Date.now() - started < 320);
    await sleep(30);
    source.stop();
    const elapsed = Date.now() - started;
    const due = (elapsed * perSecond) / 1000;
    // Without the catch-up about 10 frames would have gone out; with it, about all that fell due.
    expect(source.sent.length).to.be.within(due * 0.8, due + 2);
    const seqs = source.sent.map((s) => s.seq);
    expect(seqs).to.deep.equal([...seqs.keys()]);
  });
});
