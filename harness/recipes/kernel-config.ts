// SPDX-License-Identifier: GPL-2.0-only
/**
 * Kernel config fragments: what they ask for, and which of those requests a
 * resolved .config dropped (an option whose dependencies are not met is
 * silently discarded by Kconfig; the harness refuses such a kernel).
 */
export type OptionValue = { readonly kind: 'set'; readonly value: string } | { readonly kind: 'unset' };

export interface Request {
  readonly option: string;
  readonly want: OptionValue;
  readonly fragment: string;
}

export interface Dropped {
  readonly request: Request;
  readonly got: OptionValue;
}

const SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;

/** Parses a fragment or a .config into option assignments, later lines winning. */
export function parseConfig(text: string): Map<string, OptionValue> {
  const out = new Map<string, OptionValue>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const set = SET.exec(line);
    if (set) {
      const [, option, value] = set as unknown as [string, string, string];
      out.set(option, value === 'n' ? { kind: 'unset' } : { kind: 'set', value });
      continue;
    }
    const unset = UNSET.exec(line);
    if (unset) out.set(unset[1] as string, { kind: 'unset' });
  }
  return out;
}

export function requestsOf(fragments: ReadonlyArray<{ name: string; text: string }>): Request[] {
  const byOption = new Map<string, Request>();
  for (const { name, text } of fragments) {
    for (const [option, want] of parseConfig(text)) byOption.set(option, { option, want, fragment: name });
  }
  return [...byOption.values()];
}

function same(a: OptionValue, b: OptionValue): boolean {
  return a.kind === b.kind && (a.kind === 'unset' || a.value === (b as { value: string }).value);
}

/** The requests that the resolved config does not honour. */
export function droppedOptions(requests: readonly Request[], resolved: string): Dropped[] {
  const config = parseConfig(resolved);
  const dropped: Dropped[] = [];
  for (const request of requests) {
    const got = config.get(request.option) ?? { kind: 'unset' as const };
    if (!same(request.want, got)) dropped.push({ request, got });
  }
  return dropped;
}

function show(value: OptionValue): string {
  return value.kind === 'unset' ? 'not set' : value.value;
}

/** One line naming every dropped option, what was asked and what Kconfig made of it. */
export function describeDropped(dropped: readonly Dropped[]): string {
  return dropped
    .map((d) => `${d.request.option} (${d.request.fragment} asks ${show(d.request.want)}, got ${show(d.got)})`)
    .join(', ');
}
