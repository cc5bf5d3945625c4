// SPDX-License-Identifier: GPL-2.0-only
/**
 * Decoders of untrusted JSON objects (agents' reports, report.json files):
 * each field is read by name and type, and a missing or malformed one
 * throws a FieldError that names the object and the field. Nothing reads
 * a field unchecked or gets NaN.
 */

export class FieldError extends Error {
  override readonly name: string = 'FieldError';
}

export type Fields = Readonly<Record<string, unknown>>;

export function field(object: Fields, where: string, name: string): unknown {
  if (!(name in object)) throw new FieldError(`${where}: field ${name} is missing`);
  return object[name];
}

/** A finite number, given as a JSON number or as a "0x..." / decimal string (registers). */
export function numberField(object: Fields, where: string, name: string): number {
  const raw = field(object, where, name);
  const value =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^(0x[0-9a-f]+|\d+(\.\d+)?)$/i.test(raw)
        ? Number(raw)
        : NaN;
  if (!Number.isFinite(value)) throw new FieldError(`${where}: field ${name} is not a number (${JSON.stringify(raw)})`);
  return value;
}

export function stringField(object: Fields, where: string, name: string): string {
  const raw = field(object, where, name);
  if (typeof raw !== 'string') throw new FieldError(`${where}: field ${name} is not a string (${JSON.stringify(raw)})`);
  return raw;
}

export function booleanField(object: Fields, where: string, name: string): boolean {
  const raw = field(object, where, name);
  if (typeof raw !== 'boolean')
    throw new FieldError(`${where}: field ${name} is not true or false (${JSON.stringify(raw)})`);
  return raw;
}

export function objectField(object: Fields, where: string, name: string): Fields {
  const raw = field(object, where, name);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new FieldError(`${where}: field ${name} is not an object`);
  return raw as Fields;
}

export function arrayField(object: Fields, where: string, name: string): readonly Fields[] {
  const raw = field(object, where, name);
  if (!Array.isArray(raw) || raw.some((r) => typeof r !== 'object' || r === null))
    throw new FieldError(`${where}: field ${name} is not a list of objects`);
  return raw as Fields[];
}

/** One of `values`, so that the type says which. */
export function oneOfField<T extends string>(object: Fields, where: string, name: string, values: readonly T[]): T {
  const raw = stringField(object, where, name);
  if (!(values as readonly string[]).includes(raw))
    throw new FieldError(`${where}: field ${name} is ${JSON.stringify(raw)}, not one of ${values.join(', ')}`);
  return raw as T;
}

const HEX_BYTES = /^([0-9a-f]{2})*$/i;

export function hexField(object: Fields, where: string, name: string): Buffer {
  const raw = stringField(object, where, name);
  if (!HEX_BYTES.test(raw)) throw new FieldError(`${where}: field ${name} is not hex bytes`);
  return Buffer.from(raw, 'hex');
}
