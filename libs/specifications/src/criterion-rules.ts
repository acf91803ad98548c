import type { FieldError } from '#platform';
import type { Criterion } from './criteria.js';

const MARKER_STATES = ['present', 'absent', 'depleted'];
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStrList = (v: unknown, max = 20): v is string[] => Array.isArray(v) && v.length > 0 && v.length <= max && v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 60);

/** Checks the shape of a criterion object, field by field (class-validator cannot type a union). */
export function checkCriterion(c: unknown, field: string): FieldError[] {
  const err = (rule: string, message: string, sub = ''): FieldError => ({ field: `${field}${sub}`, rule, message });
  if (!c || typeof c !== 'object') return [err('isObject', `${field} must be an object`)];
  const criterion = c as Record<string, unknown>;
  const allowedKeys: Record<string, string[]> = {
    range: ['kind', 'min', 'max', 'maxExclusive', 'unit'],
    min_count: ['kind', 'min'],
    marker: ['kind', 'marker', 'expected'],
    any_marker_present: ['kind', 'markers'],
    categorical: ['kind', 'allowed'],
    recorded: ['kind'],
  };
  const kind = criterion.kind as string;
  if (!allowedKeys[kind]) return [err('isIn', `kind must be one of ${Object.keys(allowedKeys).join(', ')}`, '.kind')];
  const errors: FieldError[] = Object.keys(criterion).filter((k) => !allowedKeys[kind].includes(k)).map((k) => err('unknownField', `${k} is not a field of a ${kind} criterion`, `.${k}`));
  const typed = criterion as Criterion & Record<string, unknown>;
  switch (kind) {
    case 'range':
      if (criterion.min !== undefined && !isNum(criterion.min)) errors.push(err('isNumber', 'min must be a number', '.min'));
      if (criterion.max !== undefined && !isNum(criterion.max)) errors.push(err('isNumber', 'max must be a number', '.max'));
      if (criterion.min === undefined && criterion.max === undefined) errors.push(err('minOrMax', 'a range needs min, max or both'));
      if (isNum(criterion.min) && isNum(criterion.max) && criterion.min > criterion.max) errors.push(err('minNotAboveMax', 'min cannot be above max', '.min'));
      if (criterion.maxExclusive !== undefined && typeof criterion.maxExclusive !== 'boolean') errors.push(err('isBoolean', 'maxExclusive must be true or false', '.maxExclusive'));
      if (typeof typed.unit !== 'string' || typed.unit.length > 30) errors.push(err('isString', 'unit must be a short string (may be empty)', '.unit'));
      break;
    case 'min_count':
      if (!Number.isInteger(criterion.min) || (criterion.min as number) < 0) errors.push(err('isInt', 'min must be a whole number ≥ 0', '.min'));
      break;
    case 'marker':
      if (typeof criterion.marker !== 'string' || !/^[A-Za-z0-9 _-]{1,40}$/.test(criterion.marker)) errors.push(err('isString', 'marker must be a marker name', '.marker'));
      if (!isStrList(criterion.expected, 3) || !(criterion.expected as string[]).every((s) => MARKER_STATES.includes(s))) errors.push(err('isIn', 'expected must list present, absent and/or depleted', '.expected'));
      break;
    case 'any_marker_present':
      if (!isStrList(criterion.markers)) errors.push(err('isArray', 'markers must be a non-empty list of names', '.markers'));
      break;
    case 'categorical':
      if (!isStrList(criterion.allowed)) errors.push(err('isArray', 'allowed must be a non-empty list of values', '.allowed'));
      break;
  }
  return errors;
}
