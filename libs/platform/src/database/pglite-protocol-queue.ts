import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * pglite-socket 0.2.17 queues each protocol message separately and keeps one connection's
 * messages together only inside a transaction. Outside one, two connections' extended-protocol
 * sequences (Parse, Bind, Execute … Sync) interleave in the single PGlite session and one of
 * them fails with `portal "" does not exist`. This replaces the queue's scheduler so that a
 * connection that has started a sequence keeps the session until its Sync (or a simple Query).
 * The package version is pinned; `embedded-postgres.spec` proves the behaviour.
 */
interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
  onData: (data: Uint8Array) => void;
}

type RawProtocolDb = PGlite & { execProtocolRawStream(message: Uint8Array, options: { onRawData: (data: Uint8Array) => void }): Promise<void> };

interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: RawProtocolDb;
  processQueue: () => Promise<void>;
}

const SEQUENCE_END = new Set(['S'.charCodeAt(0), 'Q'.charCodeAt(0), 'X'.charCodeAt(0)]);
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'C', 'H', 'F'].map((c) => c.charCodeAt(0)));

export function keepProtocolSequencesTogether(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue: QueryQueue }).queryQueue;
  if (!queue || !Array.isArray(queue.queue) || typeof queue.processQueue !== 'function') {
    throw new Error('pglite-socket internals changed: review pglite-protocol-queue.ts before upgrading');
  }
  let midSequence = false;
  queue.processQueue = async function processQueue(this: QueryQueue): Promise<void> {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const sticky = this.lastHandlerId !== null && (midSequence || this.db.isInTransaction());
        let next: QueuedMessage | undefined;
        if (sticky) {
          const index = this.queue.findIndex((q) => q.handlerId === this.lastHandlerId);
          // The owner has not sent its next message yet: wait for it (enqueue calls us again).
          if (index === -1) break;
          next = this.queue.splice(index, 1)[0];
        } else {
          next = this.queue.shift();
        }
        if (!next) break;
        const item = next;
        let written = 0;
        try {
          await this.db.runExclusive(() => this.db.execProtocolRawStream(item.message, { onRawData: (data: Uint8Array) => { written += data.length; item.onData(data); } }));
        } catch (error) {
          midSequence = false;
          item.reject(error);
          continue;
        }
        const type = item.message[0];
        if (SEQUENCE_END.has(type)) midSequence = false;
        else if (EXTENDED.has(type)) midSequence = true;
        this.lastHandlerId = item.handlerId;
        item.resolve(written);
      }
    } finally {
      this.processing = false;
    }
  };
  // A connection that disconnects mid-sequence must not hold the session forever.
  const originalClear = (queue as unknown as { clearTransactionIfNeeded: (id: number) => Promise<void> }).clearTransactionIfNeeded.bind(queue);
  (queue as unknown as { clearTransactionIfNeeded: (id: number) => Promise<void> }).clearTransactionIfNeeded = async (handlerId: number) => {
    if (queue.lastHandlerId === handlerId) midSequence = false;
    await originalClear(handlerId);
    if (!queue.processing) await queue.processQueue();
  };
}
