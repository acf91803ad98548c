import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ModulesContainer } from '@nestjs/core';
import { ACCESS_RULE, type AccessRule } from '../http/request-context.js';
import { IDEMPOTENCY_EXEMPT, IDEMPOTENCY_HEADER, KEYED_METHODS } from './keyed-command.js';

const PARAMETER = {
  name: IDEMPOTENCY_HEADER,
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: the first request with a key runs; a retry with the same key and request gets the stored answer again ' +
    '(header Idempotent-Replayed: true) and runs nothing. The same key with another request → 422 idempotency.key_reused; while the ' +
    'first is still running → 409 idempotency.in_progress. A refused request (4xx, 5xx) does not use the key up. Keys belong to the ' +
    'caller and expire after IDEMPOTENCY_TTL_HOURS (24 h).',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' },
} as const;

/**
 * Adds the Idempotency-Key header (one shared component) to every command operation that
 * honours it: POST/PUT/PATCH/DELETE of signed-in users or machines, not routes whose answer
 * holds a secret. Operations are matched by Nest's default operation id (Controller_method).
 */
export function documentIdempotencyKey(app: NestFastifyApplication, document: OpenAPIObject): void {
  const keyed = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Function | null;
      if (!controller) continue;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const rule: AccessRule | undefined = Reflect.getMetadata(ACCESS_RULE, handler) ?? Reflect.getMetadata(ACCESS_RULE, controller);
        const exempt = Reflect.getMetadata(IDEMPOTENCY_EXEMPT, handler) ?? Reflect.getMetadata(IDEMPOTENCY_EXEMPT, controller);
        if (rule && rule.kind !== 'public' && !exempt) keyed.add(`${controller.name}_${name}`);
      }
    }
  }
  let used = false;
  for (const item of Object.values(document.paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, { operationId?: string; parameters?: unknown[] }>)) {
      if (!KEYED_METHODS.has(method.toUpperCase()) || !operation.operationId || !keyed.has(operation.operationId)) continue;
      operation.parameters = [...(operation.parameters ?? []), { $ref: '#/components/parameters/IdempotencyKey' }];
      used = true;
    }
  }
  if (used) document.components = { ...document.components, parameters: { ...document.components?.parameters, IdempotencyKey: PARAMETER as never } };
}
