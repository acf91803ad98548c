import pg from 'pg';

/**
 * COPY … FROM STDIN with the plain pg client (no extra package): a Query whose copy-in
 * handler sends the prepared chunks, then CopyDone.
 */
class CopyFromQuery extends (pg.Query as unknown as new (text: string) => pg.Query & { on(event: string, listener: (arg: unknown) => void): void }) {
  constructor(text: string, private readonly chunks: Buffer[]) {
    super(text);
  }

  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    for (const chunk of this.chunks) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }
}

export function copyFrom(client: pg.Client | pg.PoolClient, sql: string, chunks: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const query = new CopyFromQuery(sql, chunks);
    query.on('end', () => resolve());
    query.on('error', (error) => reject(error));
    client.query(query as never);
  });
}
