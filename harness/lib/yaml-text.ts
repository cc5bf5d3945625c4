// SPDX-License-Identifier: GPL-2.0-only
/**
 * Plain data (strings, numbers, booleans, arrays, objects) as block-style
 * YAML, for the files other tools read (LAVA jobs and test definitions).
 * Strings are written plain only where YAML cannot read them as anything
 * else; otherwise double-quoted, which is JSON's syntax and YAML's alike.
 * No dependency for what reading it back (a spec does) shows to be exact.
 */

export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [key: string]: YamlValue };

/** Words a YAML 1.1 reader (LAVA's PyYAML) would take for booleans or null. */
const RESERVED = /^(y|n|yes|no|on|off|true|false|null|~)$/i;
/** Safe as a plain scalar: no indicator first, no ': ' or ' #' inside, nothing that reads as a number. */
const PLAIN = /^[A-Za-z_/][\w./@-]*(?: [\w./@()=-]+)*$/;

type Scalar = string | number | boolean | null;

function scalar(value: Scalar): string {
  if (value === null) return 'null';
  if (typeof value !== 'string') return String(value);
  return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
}

const isScalar = (v: YamlValue): v is Scalar => v === null || typeof v !== 'object';

function lines(value: YamlValue, indent: string): string[] {
  if (isScalar(value)) return [`${indent}${scalar(value)}`];
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${indent}[]`];
    return (value as readonly YamlValue[]).flatMap((item) => {
      if (isScalar(item)) return [`${indent}- ${scalar(item)}`];
      const [first, ...rest] = lines(item, `${indent}  `);
      return [`${indent}- ${first!.slice(indent.length + 2)}`, ...rest];
    });
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return [`${indent}{}`];
  return entries.flatMap(([key, item]) => {
    const k = scalar(key);
    if (isScalar(item)) return [`${indent}${k}: ${scalar(item)}`];
    const empty = Array.isArray(item) ? item.length === 0 : Object.keys(item).length === 0;
    if (empty) return [`${indent}${k}: ${Array.isArray(item) ? '[]' : '{}'}`];
    return [`${indent}${k}:`, ...lines(item, `${indent}  `)];
  });
}

/** The document, with `comment` (if any) as its first lines. */
export function toYaml(value: YamlValue, comment?: string): string {
  const head = comment === undefined ? [] : comment.split('\n').map((l) => `# ${l}`.trimEnd());
  return `${[...head, ...lines(value, '')].join('\n')}\n`;
}
