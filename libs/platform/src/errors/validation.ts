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
