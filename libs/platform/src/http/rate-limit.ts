import { type CanActivate, type ExecutionContext, Inject, Injectable, type OnApplicationShutdown, type OnModuleInit, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { DomainError } from '../errors/domain-error.js';

export const RATE_LIMIT = 'exolot:rate-limit';
const REDIS_READY_WAIT_MS = 3000;
export interface RateLimitRule { name: string; perMinute: number }

/** Limits a route per client address in fixed one-minute windows; the limit comes from config.rateLimits[name]. */
export const RateLimit = (name: 'verify' | 'login') => SetMetadata(RATE_LIMIT, name);

/**
 * Counts requests per (rule, client address, minute). With Redis configured the counters live
 * in Redis, so several API processes share them; otherwise in this process's memory.
 */
@Injectable()
export class RateLimiter implements OnModuleInit, OnApplicationShutdown {
  private readonly memory = new Map<string, number>();
  private memoryWindow = 0;
  private readonly redis?: Redis;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (config.redisUrl) {
      this.redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
      this.redis.on('error', () => undefined);
    }
  }

  /**
   * Waits (briefly) for Redis before the API takes requests: otherwise the first requests after
   * a start are counted in memory and the shared count lags behind. A Redis that is down does
   * not stop the start; counting falls back to memory until it is back.
   */
  async onModuleInit(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, REDIS_READY_WAIT_MS);
      redis.once('ready', done);
    });
  }

  /** Returns how many requests remain, or a negative number when over the limit. */
  async take(rule: RateLimitRule, client: string): Promise<{ remaining: number; resetSeconds: number }> {
    const window = Math.floor(Date.now() / 60000);
    const resetSeconds = 60 - Math.floor((Date.now() / 1000) % 60);
    const key = `${this.config.queuePrefix}:rl:${rule.name}:${client}:${window}`;
    let count: number;
    if (this.redis && this.redis.status === 'ready') {
      const results = await this.redis.multi().incr(key).expire(key, 90).exec();
      count = Number(results?.[0]?.[1] ?? 0);
    } else {
      // Redis unreachable or not configured: count in memory rather than fail open or closed.
      if (window !== this.memoryWindow) {
        this.memory.clear();
        this.memoryWindow = window;
      }
      count = (this.memory.get(key) ?? 0) + 1;
      this.memory.set(key, count);
    }
    return { remaining: rule.perMinute - count, resetSeconds };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const name = this.reflector.getAllAndOverride<string | undefined>(RATE_LIMIT, [context.getHandler(), context.getClass()]);
    if (!name) return true;
    const rule: RateLimitRule = { name, perMinute: this.config.rateLimits[name] ?? 60 };
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const { remaining, resetSeconds } = await this.limiter.take(rule, request.ip);
    reply.header('ratelimit-limit', String(rule.perMinute));
    reply.header('ratelimit-remaining', String(Math.max(0, remaining)));
    reply.header('ratelimit-reset', String(resetSeconds));
    if (remaining < 0) {
      reply.header('retry-after', String(resetSeconds));
      throw new DomainError('rate_limited', `Too many requests; try again in ${resetSeconds} s.`, { retryAfterSeconds: resetSeconds });
    }
    return true;
  }
}
