/**
 * The key is claimed by a committed request: thrown inside the command's transaction (which then
 * rolls back) or before a multipart body is parsed; the interceptor answers from the claim.
 */
export class KeyAlreadyClaimed extends Error {
  constructor() {
    super('The Idempotency-Key is already claimed');
    this.name = 'KeyAlreadyClaimed';
  }
}
