// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the harness and the C agents must say alike, defined once here and
 * rendered as a C header (contract.h) that the agents are built with: the
 * names of the reports the agents and the on-target runner write, the
 * words the harness paces the runner with, the exit codes, and the frames'
 * payload format. A static check holds the C sources to the header (no
 * literal report name or word of their own).
 */
import { EXIT } from '../lib/exit-codes.ts';
import {
  CANARY_BLOCK_LEN,
  CANARY_MAGIC,
  ETHERTYPE,
  FRAME_HEADER_LEN,
  PAYLOAD_LEN,
  PAYLOAD_MAGIC,
  PAYLOAD_RECOGNISED_LEN,
  SOURCE_MAC,
  TX_SEQ_BASE,
} from '../traffic/payload.ts';

/** The reports ({"event": NAME, ...}) the agents in L1 and L2 write, one JSON line each (L2's init too). */
export const AGENT_EVENTS = [
  'device',
  'dma-mapped',
  'done',
  'error',
  'frame',
  'gic',
  'irq',
  'irqs-armed',
  'link-up',
  'memory',
  'opened',
  'probe-done',
  'probe-start',
  'ram-snapshot',
  'ready',
  'registers',
  'sending',
  'stale-payload',
  'stats',
  'stopped',
  'unmapped',
  'up',
] as const;
export type AgentEventName = (typeof AGENT_EVENTS)[number];

/** The on-target runner's own reports ({"from":"runner","event": NAME, ...}). */
export const RUNNER_EVENTS = [
  'bind-refused',
  'bound',
  'done',
  'exited',
  'finding',
  'irq-sampled',
  'killing',
  'kmsg',
  'release-hang',
  'started',
  'undecided',
  'user1-gone',
  'waiting',
] as const;
export type RunnerEventName = (typeof RUNNER_EVENTS)[number];

/** Who wrote a report the runner relays: itself, or one of the agents it started ("from"). */
export const REPORT_SOURCES = ['runner', 'user1', 'user2', 'frames'] as const;
export type ReportSource = (typeof REPORT_SOURCES)[number];

/** The words the harness writes to the runner's stdin, each letting it go on to the next part of the cycle. */
export const RUNNER_WORDS = ['user1', 'kill', 'user2', 'end-window', 'collect'] as const;
export type RunnerWord = (typeof RUNNER_WORDS)[number];

const macro = (prefix: string, name: string) => `${prefix}_${name.toUpperCase().replace(/-/g, '_')}`;
const defines = (prefix: string, names: readonly string[]) =>
  names.map((n) => `#define ${macro(prefix, n)} ${JSON.stringify(n)}`);

/** The C macro naming a report or word, as the agents' sources write it. */
export const cMacroOf = {
  event: (name: AgentEventName | RunnerEventName) => macro('EVENT', name),
  word: (word: RunnerWord) => macro('WORD', word),
};

export function contractHeader(): string {
  const mac = [...SOURCE_MAC].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ');
  return [
    '/* Generated from the harness by harness/plan/contract.ts: do not edit. */',
    '#ifndef CONTRACT_H',
    '#define CONTRACT_H',
    '',
    '/* Report names: the agents\' {"event":...} and the runner\'s own. */',
    ...defines('EVENT', [...new Set([...AGENT_EVENTS, ...RUNNER_EVENTS])].sort()),
    '',
    '/* Who wrote a report the runner relays ("from"). */',
    ...defines('FROM', REPORT_SOURCES),
    '',
    "/* The harness's words to a paced runner. */",
    ...defines('WORD', RUNNER_WORDS),
    '',
    '/* Exit codes, as the harness\'s (git bisect run: 125 "cannot decide"). */',
    `#define EXIT_GOOD ${EXIT.good}`,
    `#define EXIT_REGRESSION ${EXIT.regression}`,
    `#define EXIT_USAGE ${EXIT.usage}`,
    `#define EXIT_UNDECIDED ${EXIT.undecided}`,
    '',
    '/* Frames and their payloads (harness/traffic/payload.ts). */',
    `#define PAYLOAD_MAGIC ${JSON.stringify(PAYLOAD_MAGIC.toString('ascii'))}`,
    `#define PAYLOAD_MAGIC_LEN ${PAYLOAD_MAGIC.length}`,
    `#define PAYLOAD_LEN ${PAYLOAD_LEN}`,
    `#define PAYLOAD_RECOGNISED_LEN ${PAYLOAD_RECOGNISED_LEN}`,
    `#define FRAME_ETHERTYPE 0x${ETHERTYPE.toString(16)}`,
    `#define FRAME_HEADER_LEN ${FRAME_HEADER_LEN}`,
    `#define FRAME_SOURCE_MAC { ${mac} }`,
    `#define TX_SEQ_BASE 0x${TX_SEQ_BASE.toString(16)}u`,
    '',
    "/* The next user's canary: blocks of magic, run id (u32 LE), block index (u32 LE). */",
    `#define CANARY_MAGIC ${JSON.stringify(CANARY_MAGIC.toString('ascii'))}`,
    `#define CANARY_MAGIC_LEN ${CANARY_MAGIC.length}`,
    `#define CANARY_BLOCK_LEN ${CANARY_BLOCK_LEN}`,
    '',
    '#endif',
    '',
  ].join('\n');
}
