/**
 * The multipart body of an upload from a file path: read from disk on every attempt into a few
 * reused buffers (so a large file costs no more memory than those), with its bytes and its
 * Content-Length exact.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FILE_BUFFERS, FILE_CHUNK_BYTES, multipartBody } from '../../src/wechat/body.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wmp-body-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** `n` bytes of a pattern that does not repeat with the chunk size (a reused buffer read too late shows). */
function patterned(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i + seed) % 251;
  return b;
}

/** Consume a body the way undici's writer does: each chunk is used before the next is pulled. */
async function drain(body: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; fullChunkBuffers: Set<ArrayBufferLike> }> {
  const copies: Buffer[] = [];
  const fullChunkBuffers = new Set<ArrayBufferLike>();
  for await (const chunk of body) {
    copies.push(Buffer.from(chunk));
    if (chunk.byteLength === FILE_CHUNK_BYTES) fullChunkBuffers.add(chunk.buffer);
  }
  return { bytes: Buffer.concat(copies), fullChunkBuffers };
}

/** The file part's bytes inside a one-file multipart body (text fields come first). */
function filePart(body: Buffer): Buffer {
  const start = body.indexOf('\r\n\r\n', body.indexOf('filename=')) + 4;
  const end = body.lastIndexOf('\r\n--');
  return body.subarray(start, end);
}

describe('multipart body from a file path', () => {
  test('is read into a few reused buffers, its bytes and Content-Length exact', async () => {
    const data = patterned(20 * FILE_CHUNK_BYTES + 123);
    const file = path.join(dir, 'v.mp4');
    await writeFile(file, data);
    const opened = await multipartBody({ files: { media: { source: file } }, fields: { description: '{"title":"t"}' } })();
    const { bytes, fullChunkBuffers } = await drain(opened.body);
    assert.equal(opened.length, bytes.length);
    assert.ok(filePart(bytes).equals(data), 'the file arrives intact');
    assert.match(bytes.toString('latin1', 0, 400), /name="description"\r\n\r\n\{"title":"t"\}\r\n/);
    assert.ok(fullChunkBuffers.size >= 1 && fullChunkBuffers.size <= FILE_BUFFERS, `${fullChunkBuffers.size} buffers for 20 chunks`);
  });

  test('each attempt reads the file again from disk (nothing of it is kept between attempts)', async () => {
    const file = path.join(dir, 'r.mp4');
    await writeFile(file, patterned(3 * FILE_CHUNK_BYTES, 1));
    const open = multipartBody({ files: { media: { source: file } } });
    const first = await drain((await open()).body);
    await writeFile(file, patterned(3 * FILE_CHUNK_BYTES, 2));
    const second = await drain((await open()).body);
    assert.ok(filePart(first.bytes).equals(patterned(3 * FILE_CHUNK_BYTES, 1)));
    assert.ok(filePart(second.bytes).equals(patterned(3 * FILE_CHUNK_BYTES, 2)));
  });

  test('a 32 MB file streams through without allocating memory in proportion to it', async () => {
    const size = 32 * 1024 * 1024;
    const file = path.join(dir, 'big.mp4');
    await writeFile(file, Buffer.alloc(size, 7));
    const opened = await multipartBody({ files: { media: { source: file } } })();
    // A collection in between can only lower the growth, so this cannot fail by chance. A body that
    // allocates a buffer per read grows by about the file size here (unless a GC happens to run).
    const before = process.memoryUsage().arrayBuffers;
    let sent = 0;
    let peak = 0;
    for await (const chunk of opened.body) {
      sent += chunk.byteLength;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    assert.equal(sent, opened.length);
    assert.ok(peak < 4 * 1024 * 1024, `array buffers grew by ${(peak / 1048576).toFixed(1)} MiB for a 32 MB file`);
  });
});
