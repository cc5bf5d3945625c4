// SPDX-License-Identifier: GPL-2.0-only
/** The exit status the shell prints after each L1 command (dropbear sometimes drops the channel's own). */
import { expect } from 'chai';
import { splitExitMark } from '../../harness/machines/ssh.ts';

describe('splitExitMark', () => {
  it("takes the printed status and gives back the command's own output unchanged", () => {
    expect(splitExitMark('hello\n\n__vfio_reset_exit_status=0\n')).to.deep.equal({ stdout: 'hello\n', code: 0 });
    expect(splitExitMark('\n__vfio_reset_exit_status=2\n')).to.deep.equal({ stdout: '', code: 2 });
  });

  it('uses the last mark, so output that contains the mark text cannot fake a status', () => {
    expect(splitExitMark('x\n__vfio_reset_exit_status=0\n\n__vfio_reset_exit_status=1\n').code).to.equal(1);
  });

  it('says null when the shell never printed it (the command was killed)', () => {
    expect(splitExitMark('partial output')).to.deep.equal({ stdout: 'partial output', code: null });
  });
});
