/**
 * The subset of JSON Schema (draft 2020-12) the gateway's protocol documents use, and a
 * validator for it. The schemas served to clients are the ones inbound messages are checked
 * against, so the documentation cannot drift from the behaviour.
 */
export interface JsonSchema {
  readonly $ref?: string;
  readonly $id?: string;
  readonly $schema?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
  readonly title?: string;
  readonly description?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly propertyNames?: JsonSchema;
  readonly maxProperties?: number;
  readonly items?: JsonSchema;
  readonly maxItems?: number;
  readonly enum?: readonly (string | number | boolean | null)[];
  readonly const?: string | number | boolean | null;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly oneOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
  readonly examples?: readonly unknown[];
}

export interface SchemaViolation {
  /** JSON Pointer of the offending value ('' for the root). */
  readonly path: string;
  readonly message: string;
}

const patternCache = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u');
    patternCache.set(pattern, re);
  }
  return re;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function pointer(path: string, key: string | number): string {
  return `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * Validates `value`; returns the violations (empty when valid). `root` resolves `$ref`s of the
 * form `#/$defs/Name`. Stops at the first violation per value to keep messages short.
 */
export function validateSchema(
  schema: JsonSchema,
  value: unknown,
  root: JsonSchema = schema,
  path = '',
): SchemaViolation[] {
  if (schema.$ref !== undefined) {
    const name = /^#\/\$defs\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name === undefined ? undefined : root.$defs?.[name];
    if (!target) throw new RangeError(`unresolvable $ref ${schema.$ref}`);
    return validateSchema(target, value, root, path);
  }
  const fail = (message: string): SchemaViolation[] => [{ path, message }];
  if (schema.oneOf) {
    const passing = schema.oneOf.filter(
      (s) => validateSchema(s, value, root, path).length === 0,
    ).length;
    if (passing !== 1) {
      // Report the violations of the closest alternative: the one with the fewest.
      const best = schema.oneOf
        .map((s) => validateSchema(s, value, root, path))
        .sort((a, b) => a.length - b.length)[0];
      return passing === 0 && best && best.length > 0
        ? best
        : fail('must match exactly one of the allowed forms');
    }
  }
  if (
    schema.anyOf &&
    !schema.anyOf.some((s) => validateSchema(s, value, root, path).length === 0)
  ) {
    return fail('matches none of the allowed forms');
  }
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const ok = schema.type === actual || (schema.type === 'number' && actual === 'integer');
    if (!ok)
      return fail(
        `must be ${schema.type === 'integer' ? 'an integer' : `of type ${schema.type}`}, got ${actual}`,
      );
  }
  if (schema.const !== undefined && value !== schema.const)
    return fail(`must be ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value as never)) {
    return fail(`must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      return fail(`must have at least ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      return fail(`must have at most ${schema.maxLength} characters`);
    if (schema.pattern !== undefined && !compiled(schema.pattern).test(value))
      return fail(`must match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      return fail(`must be at least ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      return fail(`must be at most ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      return fail(`must have at most ${schema.maxItems} items`);
    if (schema.items) {
      for (let i = 0; i < value.length; i++) {
        const v = validateSchema(schema.items, value[i], root, pointer(path, i));
        if (v.length) return v;
      }
    }
  }
  if (actual === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (schema.maxProperties !== undefined && keys.length > schema.maxProperties)
      return fail(`must have at most ${schema.maxProperties} properties`);
    for (const key of schema.required ?? []) {
      if (!Object.hasOwn(record, key))
        return [{ path: pointer(path, key), message: 'is required' }];
    }
    for (const key of keys) {
      const child = pointer(path, key);
      if (schema.propertyNames) {
        const v = validateSchema(schema.propertyNames, key, root, child);
        if (v.length)
          return [{ path: child, message: `property name ${v[0]?.message ?? 'is invalid'}` }];
      }
      const propertySchema = schema.properties?.[key];
      if (propertySchema) {
        const v = validateSchema(propertySchema, record[key], root, child);
        if (v.length) return v;
      } else if (schema.additionalProperties === false) {
        return [{ path: child, message: 'is not an allowed property' }];
      } else if (typeof schema.additionalProperties === 'object') {
        const v = validateSchema(schema.additionalProperties, record[key], root, child);
        if (v.length) return v;
      }
    }
  }
  return [];
}
