/** One field-level complaint: which field, which rule it broke, and a sentence for people. */
export interface FieldError {
  field: string;
  rule: string;
  message: string;
}

/**
 * Every refusal the domain makes. The code decides the HTTP status (see error-codes.ts),
 * so services never think in HTTP terms.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: { errors?: FieldError[]; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static validation(errors: FieldError[], message = 'The request is not valid.'): DomainError {
    return new DomainError('validation.failed', message, { errors });
  }

  static field(code: string, field: string, rule: string, message: string): DomainError {
    return new DomainError(code, message, { errors: [{ field, rule, message }] });
  }

  static notFound(entity: string, id: string): DomainError {
    return new DomainError(`${entity}.not_found`, `No ${entity.replace(/_/g, ' ')} with id ${id}.`);
  }
}
