import fc from 'fast-check';
import type { OpenAPIObject } from '@nestjs/swagger';
import { anyJson, hostileNumber, hostileString, PATH_TRAVERSALS, pct, SQL_INJECTIONS, toJsonText, wrongValue } from './hostile.js';

type Schema = Record<string, any>;

export interface Operation {
  method: string;
  /** OpenAPI template, e.g. /batches/{id}/results/{resultId}. */
  template: string;
  pathParams: string[];
  query: { name: string; schema: Schema }[];
  /** The JSON request body schema, when the operation takes JSON. */
  jsonBody?: Schema;
  /** The multipart form schema, when the operation takes a file. */
  multipart?: Schema;
}

/** Every operation of the document: the routes the fuzzer drives. */
export function operationsOf(document: OpenAPIObject): Operation[] {
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item as Record<string, any>)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params: any[] = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      operations.push({
        method: method.toUpperCase(),
        template,
        // Some routes (GS1 Digital Link) do not declare their path parameters: read them from the template.
        pathParams: [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        jsonBody: content['application/json']?.schema,
        multipart: content['multipart/form-data']?.schema,
      });
    }
  }
  return operations;
}

/** Ids of real records, so that generated requests also reach the services and not only the validators. */
export interface KnownIds {
  /** By path parameter, after the resource it follows (e.g. "batches.id", "results.resultId", "vials.serial"). */
  pathIds: Record<string, string[]>;
  /** Any id of a record that exists, for uuid-formatted body and query fields. */
  anyIds: string[];
  /** Strings a field may meaningfully hold (serials, lot numbers, e-mail addresses). */
  strings: string[];
  /** A real value for a body field, by its name (productId, boxId, serial ...). */
  byField?: Record<string, string>;
}

export class SchemaFuzzer {
  constructor(
    private readonly document: OpenAPIObject,
    private readonly known: KnownIds,
  ) {}

  private resolve(schema: Schema | undefined): Schema {
    let current = schema ?? {};
    for (let i = 0; i < 10 && current.$ref; i++) {
      const name = String(current.$ref).split('/').pop()!;
      current = (this.document.components?.schemas?.[name] as Schema) ?? {};
    }
    if (current.allOf?.length === 1) return { ...this.resolve(current.allOf[0]), ...Object.fromEntries(Object.entries(current).filter(([k]) => k !== 'allOf')) };
    return current;
  }

  /** A value shaped like the schema, with now and then a wrong or hostile value in any place. */
  shaped(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const valid = depth > 6 ? fc.constant(null) : this.conforming(s, depth, false);
    return fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: wrongValue });
  }

  /** A value that keeps to the schema everywhere (as far as the document says). */
  valid(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
    return depth > 6 ? fc.constant(null) : this.conforming(this.resolve(schema), depth, true);
  }

  /** Schema-shaped but wrong: a valid value with exactly one member replaced by a wrong or hostile one. */
  oneWrong(schema: Schema | undefined): fc.Arbitrary<unknown> {
    return fc.tuple(this.valid(schema), fc.nat(), wrongValue).map(([value, pick, wrong]) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return wrong;
      const keys = Object.keys(value);
      if (keys.length === 0) return { ...(value as object), unexpected: wrong };
      return { ...(value as object), [keys[pick % keys.length]]: wrong };
    });
  }

  private child(schema: Schema | undefined, depth: number, strict: boolean): fc.Arbitrary<unknown> {
    return strict ? this.valid(schema, depth) : this.shaped(schema, depth);
  }

  private conforming(s: Schema, depth: number, strict: boolean): fc.Arbitrary<unknown> {
    if (s.enum) return strict ? fc.constantFrom(...s.enum) : fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...s.enum) }, { weight: 1, arbitrary: hostileString });
    const type = s.type ?? (s.properties ? 'object' : undefined);
    switch (type) {
      case 'object': {
        const properties: Record<string, Schema> = s.properties ?? {};
        const required = new Set<string>(s.required ?? []);
        const model: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [name, prop] of Object.entries(properties)) model[name] = this.knownField(name) ?? this.child(prop, depth + 1, strict);
        const shapedObject = fc.record(model, { requiredKeys: Object.keys(model).filter((k) => required.has(k)) });
        if (strict) return shapedObject;
        // Sometimes drop a required key, sometimes add an unknown one.
        return fc.tuple(shapedObject, fc.option(fc.constantFrom(...[...required, '__none__']), { nil: undefined }), fc.option(fc.tuple(fc.oneof(hostileString, fc.constantFrom('__proto__', 'isAdmin', 'role', 'id', 'createdBy')), anyJson), { nil: undefined }))
          .map(([value, drop, extra]) => {
            const out: Record<string, unknown> = { ...(value as object) };
            if (drop) delete out[drop];
            if (extra) Object.defineProperty(out, extra[0], { value: extra[1], enumerable: true, configurable: true, writable: true });
            return out;
          });
      }
      case 'array': {
        const max = Math.min(s.maxItems ?? 4, 4);
        return fc.oneof(
          { weight: 4, arbitrary: fc.array(this.child(s.items, depth + 1, strict), { minLength: strict ? 1 : 0, maxLength: max }) },
          { weight: strict ? 0 : 1, arbitrary: fc.constant(null).map(() => Array.from({ length: (s.maxItems ?? 1000) + 1 }, () => 1)) },
        );
      }
      case 'integer':
      case 'number': {
        const lo = typeof s.minimum === 'number' ? s.minimum : -1e6;
        const hi = typeof s.maximum === 'number' ? s.maximum : 1e6;
        const inRange = type === 'integer' ? fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) }) : fc.double({ min: lo, max: hi, noNaN: true });
        if (strict) return fc.oneof(inRange, fc.integer({ min: Math.ceil(Math.max(lo, 0)), max: Math.floor(Math.min(hi, 100)) }));
        return fc.oneof(
          { weight: 3, arbitrary: inRange },
          { weight: 1, arbitrary: fc.constantFrom(lo - 1, hi + 1, lo - 0.5, hi + 1e-9) },
          { weight: 1, arbitrary: hostileNumber },
        );
      }
      case 'boolean':
        return strict ? fc.boolean() : fc.oneof({ weight: 4, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom('true', 1, 0, 'yes') });
      case 'string':
        return this.string(s, strict);
      default:
        return anyJson;
    }
  }

  /** A real id or value for a field the world knows by name (productId, boxId ...), most of the time. */
  private knownField(name: string): fc.Arbitrary<unknown> | undefined {
    const value = this.known.byField?.[name];
    return value === undefined ? undefined : fc.oneof({ weight: 3, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: fc.uuid() });
  }

  private string(s: Schema, strict = false): fc.Arbitrary<string> {
    const maxLength = typeof s.maxLength === 'number' ? s.maxLength : 60;
    const choices: { weight: number; arbitrary: fc.Arbitrary<string> }[] = strict
      ? [{ weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: Math.max(1, s.minLength ?? 1), maxLength: Math.max(Math.min(maxLength, 40), s.minLength ?? 1) }) }]
      : [
          { weight: 2, arbitrary: hostileString },
          { weight: 1, arbitrary: fc.string({ maxLength: Math.min(maxLength, 60) }) },
          { weight: 1, arbitrary: fc.constantFrom(maxLength + 1, maxLength * 4).map((n) => 'A'.repeat(n)) },
        ];
    const specific: { weight: number; arbitrary: fc.Arbitrary<string> }[] = [];
    const recent = fc.integer({ min: 1, max: 30 * 24 }).map((hours) => new Date(Date.now() - hours * 3600_000));
    const anyDate = fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true });
    if (s.format === 'uuid') specific.push({ weight: 4, arbitrary: fc.oneof(fc.uuid(), ...(this.known.anyIds.length ? [fc.constantFrom(...this.known.anyIds)] : [])) });
    if (s.format === 'date-time' || /At$|From$|To$/.test(String(s.description ?? '')) || /^\d{4}-\d\d-\d\dT/.test(String(s.example ?? ''))) {
      specific.push({ weight: 4, arbitrary: (strict ? recent : anyDate).map((d) => d.toISOString()) });
    }
    if (/^\d{4}-\d\d-\d\d$/.test(String(s.example ?? ''))) specific.push({ weight: 3, arbitrary: (strict ? recent : anyDate).map((d) => d.toISOString().slice(0, 10)) });
    if (s.example !== undefined) specific.push({ weight: 3, arbitrary: fc.constant(String(s.example)) });
    if (strict && specific.length) return fc.oneof(...specific);
    choices.push(...specific);
    if (this.known.strings.length) choices.push({ weight: 1, arbitrary: fc.constantFrom(...this.known.strings) });
    return fc.oneof(...choices);
  }

  /** A JSON body: valid, valid but for one member, shaped with wrong values anywhere, or any JSON at all. */
  body(schema: Schema | undefined): fc.Arbitrary<unknown> {
    if (!schema) return fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: anyJson });
    return fc.oneof({ weight: 2, arbitrary: this.valid(schema) }, { weight: 2, arbitrary: this.oneWrong(schema) }, { weight: 3, arbitrary: this.shaped(schema) }, { weight: 1, arbitrary: anyJson });
  }

  /** A query string: declared parameters (shaped or hostile), repeated keys, unknown keys. */
  query(params: { name: string; schema: Schema }[]): fc.Arbitrary<string> {
    const names = params.map((p) => p.name);
    const pair = (name: string, schema: Schema) => fc.oneof({ weight: 3, arbitrary: this.shaped(schema) }, { weight: 1, arbitrary: hostileString }).map((v) => [name, stringify(v)] as [string, string]);
    const declared = params.length ? fc.array(fc.constantFrom(...params).chain((p) => pair(p.name, p.schema)), { maxLength: 4 }) : fc.constant([] as [string, string][]);
    const extra = fc.array(fc.tuple(fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor[prototype][x]', 'limit[]', 'a[b][c]', ...names)), hostileString), { maxLength: 2 });
    return fc.tuple(declared, extra).map(([a, b]) => [...a, ...b].map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&'));
  }

  /** A path value: an id of a real record, a random UUID, or anything hostile (traversal, NUL, SQL, very long). */
  pathValue(template: string, param: string): fc.Arbitrary<string> {
    const segments = template.split('/').filter(Boolean);
    const at = segments.indexOf(`{${param}}`);
    const resource = at > 0 ? segments[at - 1] : '';
    const ids = this.known.pathIds[`${resource}.${param}`] ?? [];
    return fc.oneof(
      { weight: 4, arbitrary: ids.length ? fc.constantFrom(...ids) : fc.uuid() },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 2, arbitrary: hostileString.map(pct) },
      { weight: 1, arbitrary: fc.constantFrom(...PATH_TRAVERSALS) },
      { weight: 1, arbitrary: fc.constantFrom(...SQL_INJECTIONS).map(pct) },
      { weight: 1, arbitrary: fc.constantFrom('%00', '%2500', '..', '.', '%2e%2e', '0', '-1', '1e999', 'x'.repeat(5000), 'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ', '00000000-0000-0000-0000-000000000000') },
    );
  }
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return toJsonText(value) ?? 'undefined';
  } catch {
    return String(value);
  }
}
