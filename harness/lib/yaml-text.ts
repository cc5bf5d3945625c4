// SPDX-License-Identifier: GPL-2.0-only
/**
 * Plain data as block-style YAML, for the files other tools read (LAVA
 * jobs and test definitions), written by the `yaml` package for YAML 1.1:
 * LAVA reads with PyYAML, which takes yes/no/on/off for booleans, so such
 * strings come out quoted.
 */
import { stringify } from 'yaml';

export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [key: string]: YamlValue };

/** The document, with `comment` (if any) as its first lines. */
export function toYaml(value: YamlValue, comment?: string): string {
  const head =
    comment === undefined
      ? ''
      : comment
          .split('\n')
          .map((l) => `# ${l}`.trimEnd())
          .join('\n') + '\n';
  return head + stringify(value, { version: '1.1', lineWidth: 0 });
}
