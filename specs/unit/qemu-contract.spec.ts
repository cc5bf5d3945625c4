// SPDX-License-Identifier: GPL-2.0-only
/**
 * The harness and the L0 model agree, read from the QEMU patches
 * themselves (images/qemu/patches/): the device type, the properties the
 * harness sets, the SMMUv3 stream-ID base, every xgmac trace event the
 * parser reads (a line built from the event's own format must parse), and
 * the words the model traces. The SMMUv3 events are upstream QEMU's, not
 * the patches', and are held to real traces by the run fixtures.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../harness/lib/paths.ts';
import { XGMAC_PROFILE } from '../../harness/devices/xgmac.ts';
import { xgmacArgs } from '../../harness/machines/l1-host.ts';
import {
  DMA_DIRS,
  DMA_RESULTS,
  DMA_TARGETS,
  L0_TRACE_EVENTS,
  parseTraceLine,
  RX_VERDICTS,
} from '../../harness/trace/l0-trace.ts';

const PATCH_DIR = join(repoRoot, 'images', 'qemu', 'patches');

/** The lines of the patched files the patches show (added and context lines, not removed ones), per patch. */
const patched: readonly string[] = readdirSync(PATCH_DIR)
  .filter((f) => f.endsWith('.patch'))
  .sort()
  .flatMap((f) => readFileSync(join(PATCH_DIR, f), 'utf8').split('\n'))
  .filter((l) => (l.startsWith('+') || l.startsWith(' ')) && !l.startsWith('+++'))
  .map((l) => l.slice(1));
const added = (needle: RegExp) => patched.filter((l) => needle.test(l));

/** A patched trace-events line: `name(args) "format"`, the format's pieces joined and its PRI macros resolved. */
function traceFormat(event: string): string | null {
  const line = added(new RegExp(`^${event}\\(`)).at(-1);
  if (line === undefined) return null;
  const format = line.slice(line.indexOf(')') + 1).trim();
  return format
    .replace(/%(0\d+)?"PRI([uxd])64"?/g, '%$1$2')
    .replace(/^"|"$/g, '')
    .replace(/""/g, '');
}

/** What a %s field takes in a line built from a format; a field not named here fails the spec. */
const WORDS: Readonly<Record<string, string>> = {
  dir: DMA_DIRS[1],
  what: DMA_TARGETS[2],
  result: DMA_RESULTS[0],
  verdict: RX_VERDICTS[0],
  reason: 'ok',
};

/** A trace line as QEMU would write it from `format`, every number 1 and every word a valid one. */
function lineFrom(event: string, format: string): string {
  const rest = format.replace(
    /(\w+)=(0x)?%(0\d+)?([sudx])/g,
    (_, key: string, hex: string | undefined, width: string | undefined, conv: string) => {
      if (conv !== 's') return `${key}=${hex ?? ''}${'1'.padStart(Number(width ?? 1), '0')}`;
      const word = WORDS[key];
      if (word === undefined) throw new Error(`${event}: the parser knows no words for ${key}=%s`);
      return `${key}=${word}`;
    },
  );
  return `4242@1700000000.000001:${event} ${rest}`;
}

/** The properties a patched XgmacState defines, with their kind (UINT32, BOOL, ...). */
function xgmacProperties(): Map<string, string> {
  const props = new Map<string, string>();
  for (const l of added(/DEFINE_PROP_\w+\("[^"]+", XgmacState/)) {
    const m = /DEFINE_PROP_(\w+)\("([^"]+)"/.exec(l)!;
    props.set(m[2]!, m[1]!);
  }
  // DEFINE_NIC_PROPERTIES gives every NIC its mac and netdev.
  if (added(/DEFINE_NIC_PROPERTIES\(XgmacState/).length > 0) {
    props.set('mac', 'MACADDR');
    props.set('netdev', 'NETDEV');
  }
  return props;
}

describe('the L0 model as its QEMU patches define it', () => {
  it('is the device type the harness creates', () => {
    expect(added(/#define TYPE_XGMAC "/).at(-1)).to.equal(`#define TYPE_XGMAC "${XGMAC_PROFILE.qemuDevice}"`);
  });

  it('gives stream IDs from the base the harness reads SMMU records by', () => {
    const m = added(/#define VIRT_PLATFORM_SID_BASE /)
      .at(-1)
      ?.match(/0x[0-9a-f]+/);
    expect(Number(m?.[0]), 'VIRT_PLATFORM_SID_BASE').to.equal(XGMAC_PROFILE.sidBase);
  });

  it('has every property the harness sets, of a kind its value fits', () => {
    const props = xgmacProperties();
    const device = xgmacArgs([{ link: { harnessPort: 1, qemuPort: 2 }, mac: '52:54:00:12:34:00' }], [])
      .find((a) => a.startsWith(`${XGMAC_PROFILE.qemuDevice},`))!
      .split(',')
      .slice(1)
      .map((kv) => kv.split('=') as [string, string]);
    const keeps = (['tx', 'rx', 'irq'] as const).flatMap((part) => XGMAC_PROFILE.keepGlobals(part));
    const globals = [...XGMAC_PROFILE.l0Globals, ...XGMAC_PROFILE.ignoreResetGlobals, ...keeps].map((g) => {
      const [driver, rest] = g.split('.', 2) as [string, string];
      expect(driver, g).to.equal(XGMAC_PROFILE.qemuDevice);
      return rest.split('=') as [string, string];
    });
    for (const [name, value] of [...device, ...globals]) {
      const kind = props.get(name);
      expect(kind, `property ${name} in the patches`).to.not.equal(undefined);
      if (kind === 'BOOL') expect(value, name).to.be.oneOf(['on', 'off']);
      if (kind === 'UINT32') expect(value, name).to.match(/^\d+$/);
      // A string knob's words are matched by strcmp in the model.
      if (kind === 'STRING')
        expect(added(new RegExp(`strcmp\\(\\*p, "${value}"\\)`)), `${name}=${value}`).to.have.length.above(0);
    }
  });

  const xgmacEvents = [...L0_TRACE_EVENTS.filter((e) => e.startsWith('xgmac_')), 'xgmac_mmio_read'];
  for (const event of xgmacEvents) {
    it(`traces ${event} in a form the parser reads`, () => {
      const format = traceFormat(event);
      expect(format, `${event} in a patched trace-events`).to.not.equal(null);
      const line = lineFrom(event, format!);
      expect(parseTraceLine(line), line).to.not.equal(null);
    });
  }

  it('traces the words the parser takes, and no event it cannot see', () => {
    for (const word of [...DMA_DIRS, ...DMA_TARGETS, ...DMA_RESULTS, ...RX_VERDICTS])
      expect(added(new RegExp(`"${word}"`)).length, `"${word}" in the patches`).to.be.greaterThan(0);
    const traced = new Set(added(/^xgmac_\w+\(/).map((l) => l.slice(0, l.indexOf('('))));
    expect([...traced].sort()).to.deep.equal([...xgmacEvents].sort());
  });

  it('fails on a format the parser cannot read', () => {
    expect(() => lineFrom('xgmac_dma', 'xgmac=%u mode=%s')).to.throw(/knows no words for mode/);
    expect(() => parseTraceLine(lineFrom('xgmac_dma', 'xgmac=%u dir=%s'))).to.throw(/what= is not one of/);
  });
});
