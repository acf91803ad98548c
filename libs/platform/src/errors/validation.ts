import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { DomainError, type FieldError } from './domain-error.js';

/** Flattens class-validator's tree into dotted field paths, one entry per broken rule. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? (/^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`) : error.property;
    for (const [rule, message] of Object.entries(error.constraints ?? {})) {
      out.push({ field, rule: rule === 'whitelistValidation' ? 'unknownField' : rule, message: rule === 'whitelistValidation' ? `${field} is not a known field` : message });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => DomainError.validation(flattenValidationErrors(errors)),
  });
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The first place (a dotted field path) where the value holds text PostgreSQL cannot store: a NUL
 * character (text and jsonb refuse it) or a lone UTF-16 surrogate (not valid Unicode; jsonb
 * refuses its escape). Keys count too. Walks iteratively, so any depth is safe. Null when clean.
 */
export function illFormedTextAt(value: unknown, root = ''): string | null {
  const bad = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (bad(current)) return path || 'value';
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    for (const [key, child] of Object.entries(current)) {
      const childPath = Array.isArray(current) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (bad(key)) return childPath;
      stack.push([child, childPath]);
    }
  }
  return null;
}

/** A 400 naming the field whose text cannot be stored (see illFormedTextAt). */
export function illFormedTextError(field: string): DomainError {
  return DomainError.validation([{ field, rule: 'wellFormedText', message: `${field} must be valid Unicode text without NUL characters` }]);
}
