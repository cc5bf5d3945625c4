// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleLog, ConsoleWaitError } from '../../harness/machines/console.ts';
import { rejectionOf, tick, track, until } from '../support.ts';

const PANIC = '[    2.345678] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)';

describe('ConsoleLog', () => {
  describe('log file', () => {
    let dir: string;
    beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'console-spec-'))));
    afterEach(async () => rm(dir, { recursive: true, force: true }));

    it('writes every byte to the log file from the first push, even bytes that are not UTF-8', async () => {
      const path = join(dir, 'l1.console.log');
      const log = new ConsoleLog('l1', path);
      // "é" is split across two chunks; 0xff is not UTF-8 at all; CRLF stays CRLF in the file.
      const chunks = [
        Buffer.from('Booting Linux\r\ncaf'),
        Buffer.from([0xc3]),
        Buffer.from([0xa9, 0x0a, 0xff, 0x0a]),
        Buffer.from('login: '),
      ];
      for (const chunk of chunks) log.push(chunk);
      log.close('test over');
      const want = Buffer.concat(chunks);
      await until(
        async () => (await readFile(path).catch(() => Buffer.alloc(0))).length >= want.length,
        'the log file is flushed',
      );
      expect((await readFile(path)).equals(want)).to.equal(true);
      // The text view decodes across chunk boundaries and normalises CRLF.
      expect(log.contents.startsWith('Booting Linux\ncafé\n')).to.equal(true);
    });
  });

  it('waitFor resolves on a pattern split across two chunks, not before its last part arrives', async () => {
    const log = new ConsoleLog('l1', null);
    const ready = log.waitFor(/vfio-reset: L1 ready \(([^)]*)\)/, { timeoutMs: 2000 });
    const state = track(ready);
    log.push('[ 9.1] vfio-reset: L1 re');
    await tick();
    expect(state.settled).to.equal(false);
    log.push('ady (kernel 6.9)\n');
    const match = await ready;
    expect(match[1]).to.equal('kernel 6.9');
  });

  it('waitFor resolves at once when the text is already there', async () => {
    const log = new ConsoleLog('l1', null);
    log.push('login: ');
    expect((await log.waitFor(/login:/, { timeoutMs: 2000 }))[0]).to.equal('login:');
  });

  it('waitFor with `from: mark` ignores text that arrived before the mark', async () => {
    const log = new ConsoleLog('l1', null);
    log.push('first boot\nlogin: \n');
    const mark = log.mark;
    const second = log.waitFor(/login:/, { timeoutMs: 2000, from: mark });
    const state = track(second);
    await tick();
    expect(state.settled, 'the old "login:" must not satisfy the wait').to.equal(false);
    log.push('second boot\nlogin: ');
    const match = await second;
    expect(match.index).to.equal('second boot\n'.length);
  });

  it('a kernel panic rejects a wait at once with reason failure-pattern and the console tail', async () => {
    const log = new ConsoleLog('l1', null);
    const started = Date.now();
    const waiting = log.waitFor(/login:/, { timeoutMs: 5000, what: 'booting L1' });
    log.push(`[    1.0] Run /sbin/init\n${PANIC}\n`);
    const error = await rejectionOf(waiting, 1000);
    expect(Date.now() - started).to.be.below(1000);
    expect(error).to.be.instanceOf(ConsoleWaitError);
    const e = error as ConsoleWaitError;
    expect(e.reason).to.equal('failure-pattern');
    expect(e.message).to.contain(
      'l1: booting L1: console shows "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"',
    );
    expect(e.tail).to.contain('Run /sbin/init');
    expect(e.tail).to.contain(PANIC);
    expect(e.message).to.contain(`--- console tail ---\n${e.tail}`);
  });

  it('a panic line split across chunks is named whole, once its end of line arrives', async () => {
    const log = new ConsoleLog('l1', null);
    const waiting = log.waitFor(/login:/, { timeoutMs: 5000, what: 'booting L1' });
    const cut = PANIC.indexOf('VFS:') + 2;
    log.push(PANIC.slice(0, cut));
    await tick();
    log.push(`${PANIC.slice(cut)}\n`);
    const error = (await rejectionOf(waiting, 1000)) as ConsoleWaitError;
    expect(error.message).to.contain(`console shows "${PANIC.slice(PANIC.indexOf('Kernel panic'))}"`);
  });

  it('a panic line cut short by the machine exiting still fails the wait, as far as it got', async () => {
    const log = new ConsoleLog('l1', null);
    const waiting = log.waitFor(/login:/, { timeoutMs: 5000 });
    log.push('Kernel panic - not syncing: Attempted');
    log.close('L1 exited');
    const error = (await rejectionOf(waiting, 1000)) as ConsoleWaitError;
    expect(error.reason).to.equal('failure-pattern');
    expect(error.message).to.contain('console shows "Kernel panic - not syncing: Attempted"');
  });

  it('a panic that is already in the log fails a new wait even when its success pattern is there too', async () => {
    const log = new ConsoleLog('l1', null);
    log.push(`login: \n${PANIC}\n`);
    const error = await rejectionOf(log.waitFor(/login:/, { timeoutMs: 5000 }), 1000);
    expect((error as ConsoleWaitError).reason).to.equal('failure-pattern');
  });

  it('uses the failure patterns it is given instead of the default ones', async () => {
    const log = new ConsoleLog('l2', null);
    const waiting = log.waitFor(/up/, { timeoutMs: 5000, failure: [/agent: fatal[^\n]*/] });
    log.push(`${PANIC}\n`); // not fatal for this wait
    await tick();
    log.push('agent: fatal: no device\n');
    const error = await rejectionOf(waiting, 1000);
    expect((error as ConsoleWaitError).reason).to.equal('failure-pattern');
    expect(error.message).to.contain('console shows "agent: fatal: no device"');
  });

  it('a wait that sees no match rejects after its timeout with reason timeout and the tail', async () => {
    const log = new ConsoleLog('l1', null);
    log.push('EFI stub: Booting Linux Kernel...\n');
    const error = await rejectionOf(log.waitFor(/login:/, { timeoutMs: 50, what: 'booting L1' }), 1000);
    const e = error as ConsoleWaitError;
    expect(e.reason).to.equal('timeout');
    expect(e.message).to.contain('l1: booting L1: no match within 0.05 s');
    expect(e.tail).to.equal('EFI stub: Booting Linux Kernel...');
  });

  it('the tail in an error holds the last 40 lines only', async () => {
    const log = new ConsoleLog('l1', null);
    log.push(Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const e = (await rejectionOf(log.waitFor(/never/, { timeoutMs: 10 }))) as ConsoleWaitError;
    const lines = e.tail.split('\n');
    expect(lines).to.have.length(40);
    expect(lines[0]).to.equal('line 60');
    expect(lines[39]).to.equal('line 99');
  });

  it('close() rejects pending waits with reason closed, and later waits at once', async () => {
    const log = new ConsoleLog('l1', null);
    log.push('Starting kernel ...\n');
    const waiting = log.waitFor(/login:/, { timeoutMs: 5000, what: 'booting L1' });
    log.close('QEMU exited (code 1)');
    const e = (await rejectionOf(waiting, 1000)) as ConsoleWaitError;
    expect(e.reason).to.equal('closed');
    expect(e.message).to.contain('l1: booting L1: QEMU exited (code 1) before it happened');
    expect(e.tail).to.equal('Starting kernel ...');
    const later = (await rejectionOf(log.waitFor(/login:/, { timeoutMs: 5000 }), 1000)) as ConsoleWaitError;
    expect(later.reason).to.equal('closed');
  });

  it('a wait whose text is already there still resolves after close()', async () => {
    const log = new ConsoleLog('l1', null);
    log.push('vfio-reset: L1 ready (x)\n');
    log.close('QEMU exited (code 0)');
    expect((await log.waitFor(/L1 ready/, { timeoutMs: 1000 }))[0]).to.equal('L1 ready');
  });
});
