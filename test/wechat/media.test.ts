/**
 * wechat.media against the emulator: uploads from a path, a Buffer, a Blob and a stream factory,
 * the checks made before anything is sent, downloads as a stream or a Buffer with JSON errors told
 * apart by Content-Type, permanent materials, the token recovery replaying an upload, and a 10 MB
 * streamed video.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Blob } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Emulator } from '../../src/emulator/index.js';
import { readDownload } from '../../src/wechat/api/media.js';
import { WechatApiError } from '../../src/wechat/errors.js';
import { APPID, SECRET, startEmu, wechatOn, wechatTracker } from './support/harness.js';

let emu: Emulator;
let dir: string;
const { track, closeAll } = wechatTracker();
before(async () => {
  emu = await startEmu();
  dir = await mkdtemp(path.join(tmpdir(), 'wmp-media-'));
});
beforeEach(() => emu.reset());
after(async () => {
  await closeAll();
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

const calls = (p: string): number => emu.stats()[APPID]?.endpoints[p] ?? 0;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function tmpFile(name: string, data: Buffer | string): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, data);
  return p;
}

/** `total` bytes in `chunk`-sized pieces of a repeating pattern, generated as read. */
function generated(total: number, chunk = 64 * 1024): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(chunk, total - sent);
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = (sent + i) % 251;
      sent += n;
      this.push(b);
    },
  });
}

describe('temporary media', () => {
  test('upload from a path, a Buffer, a Blob and a stream factory; download answers the same bytes', async () => {
    const w = track(wechatOn(emu));
    const file = await tmpFile('photo.png', 'PNG-FROM-PATH');
    const a = await w.media.upload('image', file);
    assert.equal(a.type, 'image');
    assert.ok(a.mediaId.length > 10);
    assert.equal(a.createdAt, Math.floor(emu.now() / 1000));
    const b = await w.media.upload('image', { source: Buffer.from('PNG-FROM-BUFFER'), filename: 'b.png' });
    const c = await w.media.upload('voice', { source: new Blob(['MP3-FROM-BLOB']), filename: 'c.mp3' });
    const d = await w.media.upload('thumb', { source: () => Readable.from([Buffer.from('JPG-'), Buffer.from('STREAM')]), filename: 'd.jpg' });
    const got = await Promise.all([a, b, c, d].map(async (m) => (await readDownload(await w.media.download(m.mediaId)))?.toString()));
    assert.deepEqual(got, ['PNG-FROM-PATH', 'PNG-FROM-BUFFER', 'MP3-FROM-BLOB', 'JPG-STREAM']);
    const asBuffer = await w.media.download(a.mediaId, { as: 'buffer' });
    assert.equal(asBuffer.kind, 'binary');
    if (asBuffer.kind === 'binary') {
      assert.ok(Buffer.isBuffer(asBuffer.body));
      assert.equal(asBuffer.contentType, 'image/png');
      assert.equal(asBuffer.filename, 'photo.png');
    }
  });

  test('the extension and size are checked before anything is sent, with a clear error', async () => {
    const w = track(wechatOn(emu));
    await w.fetchAccessToken();
    const before = calls('/cgi-bin/media/upload');
    await assert.rejects(w.media.upload('image', { source: Buffer.from('x') }), /filename with one of \.bmp .*40005/);
    await assert.rejects(w.media.upload('image', { source: Buffer.from('x'), filename: 'notes.txt' }), /an image named .*got "notes\.txt".*40005/);
    await assert.rejects(w.media.upload('video', await tmpFile('clip.mov', 'x')), /video named \.mp4/);
    await assert.rejects(w.media.upload('thumb', { source: Buffer.alloc(65 * 1024), filename: 't.jpg' }), /at most 0\.063 MiB .*40006/);
    await assert.rejects(w.media.upload('image', { source: Buffer.alloc(0), filename: 'e.png' }), /41005/);
    await assert.rejects(w.media.upload('image', path.join(dir, 'missing.png')), /readable file \(ENOENT\)/);
    await assert.rejects(w.media.upload('doc' as 'image', { source: Buffer.from('x'), filename: 'a.png' }), { code: 'WMP_ERR_INVALID_OPTION' });
    assert.equal(calls('/cgi-bin/media/upload'), before, 'nothing was sent');
    // A stream of unannounced size is stopped at the limit while it streams.
    await assert.rejects(
      w.media.upload('thumb', { source: () => generated(70 * 1024), filename: 't.jpg' }),
      (e: unknown) => (e as { code?: string }).code === 'WMP_ERR_INVALID_OPTION' && /at most 65536 bytes/.test(String(e)),
    );
  });

  test("WeChat's own checks come through typed, with a hint: 40006 when a larger limit is claimed", async () => {
    const w = track(wechatOn(emu));
    const err = await w.media.upload('thumb', { source: Buffer.alloc(65 * 1024), filename: 't.jpg' }, { maxBytes: 1024 * 1024 }).catch((e: unknown) => e);
    assert.ok(err instanceof WechatApiError);
    assert.equal(err.errcode, 40006);
    assert.match(String(err.hint?.action), /Compress/);
    assert.match(String(err.rid), /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  });

  test('download: an unknown or expired media_id is a typed 40007 (JSON recognised by Content-Type), kept 3 days', async () => {
    const w = track(wechatOn(emu));
    const m = await w.media.upload('voice', { source: Buffer.from('AMR'), filename: 'v.amr' });
    const unknown = await w.media.download('nope').catch((e: unknown) => e);
    assert.ok(unknown instanceof WechatApiError);
    assert.equal(unknown.errcode, 40007);
    assert.match(unknown.message, /older than 3 days/);
    const voice = await w.media.downloadJssdkVoice(m.mediaId, { as: 'buffer' });
    assert.equal(voice.kind === 'binary' && voice.contentType, 'audio/speex');
    emu.advanceClock(3 * 86400);
    await assert.rejects(w.media.download(m.mediaId, { as: 'buffer' }), (e: unknown) => e instanceof WechatApiError && e.errcode === 40007);
  });

  test('uploadArticleImage answers a URL; jpg/png only', async () => {
    const w = track(wechatOn(emu));
    assert.match(await w.media.uploadArticleImage({ source: Buffer.from('J'), filename: 'a.jpg' }), /^http:\/\/mmbiz\.qpic\.cn\//);
    await assert.rejects(w.media.uploadArticleImage({ source: Buffer.from('G'), filename: 'a.gif' }), /article image named/);
  });
});

describe('permanent materials', () => {
  test('add an image and a video with its description, count, list, get (JSON for a video, bytes otherwise), delete', async () => {
    const w = track(wechatOn(emu));
    const img = await w.media.addMaterial('image', { source: Buffer.from('IMG'), filename: 'i.png' });
    assert.match(String(img.url), /^http:\/\//);
    await assert.rejects(w.media.addMaterial('video', { source: Buffer.from('V'), filename: 'v.mp4' }), /video\.title/);
    const video = await w.media.addMaterial('video', { source: Buffer.from('VID'), filename: 'v.mp4' }, { video: { title: 'Launch', introduction: 'Day one' } });
    assert.deepEqual(await w.media.countMaterials(), { voice_count: 0, video_count: 1, image_count: 1, news_count: 0 });
    const page = await w.media.listMaterials('image');
    assert.equal(page.total_count, 1);
    assert.equal(page.item[0]?.media_id, img.mediaId);
    await assert.rejects(w.media.listMaterials('image', 0, 21), /1 to 20/);
    const v = await w.media.getMaterial(video.mediaId);
    assert.equal(v.kind, 'json');
    assert.equal(v.kind === 'json' && v.json.title, 'Launch');
    assert.equal((await readDownload(await w.media.getMaterial(img.mediaId)))?.toString(), 'IMG');
    await w.media.deleteMaterial(video.mediaId);
    await assert.rejects(w.media.deleteMaterial(video.mediaId), (e: unknown) => e instanceof WechatApiError && e.errcode === 40007);
  });
});

describe('the request core under uploads', () => {
  test('a token rejected during an upload is recovered once and the body sent again from the start', async () => {
    const w = track(wechatOn(emu, { tokenMode: 'classic' }));
    await w.fetchAccessToken();
    // Another client of the account takes a new token; ours passes its grace and is refused (40001).
    const res = await fetch(`${emu.url}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`);
    assert.ok(((await res.json()) as { access_token?: string }).access_token);
    emu.advanceClock(301);
    let opened = 0;
    const m = await w.media.upload('image', {
      source: () => {
        opened += 1;
        return Readable.from([Buffer.from('first-'), Buffer.from('and-only')]);
      },
      filename: 'r.png',
    });
    assert.equal(opened, 2, 'the stream factory was called once per attempt');
    assert.equal(calls('/cgi-bin/media/upload'), 2);
    assert.equal((await readDownload(await w.media.download(m.mediaId)))?.toString(), 'first-and-only');
  });

  test('a token rejected during an upload from a path reads the file again for the second attempt', async () => {
    const w = track(wechatOn(emu, { tokenMode: 'classic' }));
    await w.fetchAccessToken();
    const res = await fetch(`${emu.url}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`);
    assert.ok(((await res.json()) as { access_token?: string }).access_token);
    emu.advanceClock(301);
    const data = Buffer.alloc(300 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const m = await w.media.upload('image', await tmpFile('again.png', data));
    assert.equal(calls('/cgi-bin/media/upload'), 2);
    assert.equal(sha((await readDownload(await w.media.download(m.mediaId)))!), sha(data));
  });

  test('a 10 MB video streams from a file and from a stream factory, arriving intact', async () => {
    const w = track(wechatOn(emu, { requestTimeoutMs: 20_000 }));
    const size = 10 * 1024 * 1024;
    const chunks: Buffer[] = [];
    for await (const c of generated(size)) chunks.push(c as Buffer);
    const whole = Buffer.concat(chunks);
    const file = await tmpFile('big.mp4', whole);
    const fromFile = await w.media.upload('video', file);
    const fromStream = await w.media.upload('video', { source: () => generated(size), filename: 'big.mp4', size });
    for (const m of [fromFile, fromStream]) {
      const got = await w.media.download(m.mediaId, { as: 'buffer', maxBytes: size });
      assert.equal(got.kind === 'binary' && sha(got.body), sha(whole));
    }
    await assert.rejects(w.media.upload('video', { source: () => generated(size + 1), filename: 'big.mp4' }), /at most 10485760 bytes/);
  });

  test('any endpoint stays reachable through the generic calls: request with a form, download', async () => {
    const w = track(wechatOn(emu));
    const up = await w.request<{ media_id: string }>('POST', '/cgi-bin/media/upload', { query: { type: 'image' }, form: { files: { media: { source: Buffer.from('G'), filename: 'g.gif' } } } });
    const d = await w.download('GET', '/cgi-bin/media/get', { query: { media_id: up.media_id }, as: 'buffer' });
    assert.equal(d.kind === 'binary' && d.body.toString(), 'G');
    const err = await w.request('GET', '/cgi-bin/not/emulated').catch((e: unknown) => e);
    assert.match(String(err), /HTTP 404: errcode -1 .*emulator lacks this endpoint/);
  });
});
