/**
 * Per-test-file database: a Mongoose connection to a database named after the test file, on the
 * server the harness resolved. `cleanup()` drops the database, closes the connection and stops a
 * server this file started itself. Call it from an `after` hook.
 */
import mongoose from 'mongoose';
import { startTestMongo, withDatabase, databaseNameFor, type TestMongoServer } from './mongo-server.js';

/** A test file's database. */
export interface TestDatabase {
  readonly server: TestMongoServer;
  /** URI including the database name. */
  readonly uri: string;
  readonly dbName: string;
  /** An open Mongoose connection to `uri`. */
  readonly connection: mongoose.Connection;
  /** Open another connection to the same database (to play a second instance). */
  connect(): Promise<mongoose.Connection>;
  cleanup(): Promise<void>;
}

/** Open the database of the test file at `fileUrl` (pass `import.meta.url`). */
export async function useTestDatabase(fileUrl: string, options: { dedicated?: boolean } = {}): Promise<TestDatabase> {
  const server = await startTestMongo({ dedicated: options.dedicated, log: (l) => process.stderr.write(`${l}\n`) });
  const dbName = databaseNameFor(fileUrl);
  const uri = withDatabase(server.uri, dbName);
  const opened: mongoose.Connection[] = [];
  const connect = async () => {
    const c = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 });
    opened.push(c);
    await c.asPromise();
    return c;
  };
  const connection = await connect();
  return {
    server,
    uri,
    dbName,
    connection,
    connect,
    async cleanup() {
      try {
        if (connection.readyState === 1) await connection.dropDatabase();
      } catch {
        // a test that stopped the server leaves nothing to drop
      }
      await Promise.all(opened.map((c) => c.close(true).catch(() => {})));
      await server.stop();
    },
  };
}
