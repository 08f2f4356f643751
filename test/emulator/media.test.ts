import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Blob } from 'node:buffer';
import { FormData } from 'undici';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { FIXED_NOW, errcodeOf, makeClient, tokenOf } from './support/client.js';

const client = makeClient();
let emu: Emulator;
let token: string;

before(async () => {
  emu = await startEmulator({ clock: () => FIXED_NOW, mediaMaxBytes: { image: 1000 } });
});
after(async () => {
  await client.close();
  await emu.close();
});
beforeEach(async () => {
  emu.reset();
  token = tokenOf(await client.token(emu.url));
});

function form(filename: string | undefined, data: Buffer | string, field = 'media', extra: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(extra)) f.append(k, v);
  f.append(field, new Blob([data]), filename);
  return f;
}

const api = (path: string, query = ''): string => `${emu.url}${path}?access_token=${token}${query}`;

describe('temporary media', () => {
  test('upload answers {type, media_id, created_at}; media/get answers the bytes with a filename', async () => {
    const up = await client.upload(api('/cgi-bin/media/upload', '&type=image'), form('cat.png', 'PNGDATA'));
    assert.equal(up.json?.type, 'image');
    assert.match(String(up.json?.media_id), /^[A-Za-z0-9_-]{64}$/);
    assert.equal(up.json?.created_at, Math.floor(FIXED_NOW / 1000));
    const down = await client.download(api('/cgi-bin/media/get', `&media_id=${String(up.json?.media_id)}`));
    assert.equal(down.status, 200);
    assert.equal(down.contentType, 'image/png');
    assert.equal(down.bytes.toString(), 'PNGDATA');
    assert.match(String(down.headers['content-disposition']), /filename="cat\.png"/);
  });

  test('a thumb answers thumb_media_id', async () => {
    const up = await client.upload(api('/cgi-bin/media/upload', '&type=thumb'), form('t.jpg', 'x'));
    assert.equal(typeof up.json?.thumb_media_id, 'string');
    assert.equal(up.json?.media_id, undefined);
  });

  test('wrong type 40004, no media part or an empty file 41005, wrong or missing extension 40005, too large 40006', async () => {
    assert.equal(errcodeOf(await client.upload(api('/cgi-bin/media/upload', '&type=doc'), form('a.png', 'x'))), 40004);
    assert.equal(errcodeOf(await client.upload(api('/cgi-bin/media/upload', '&type=image'), form('a.png', 'x', 'file'))), 41005);
    assert.equal(errcodeOf(await client.upload(api('/cgi-bin/media/upload', '&type=image'), form('a.png', ''))), 41005);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/media/upload', '&type=image'), '{}')), 41005);
    assert.equal(errcodeOf(await client.upload(api('/cgi-bin/media/upload', '&type=image'), form('a', 'x'))), 40005);
    assert.equal(errcodeOf(await client.upload(api('/cgi-bin/media/upload', '&type=image'), form('a.mp4', 'x'))), 40005);
    assert.equal(errcodeOf(await client.upload(api('/cgi-bin/media/upload', '&type=voice'), form('a.wav', 'x'))), 40005);
    assert.equal(errcodeOf(await client.upload(api('/cgi-bin/media/upload', '&type=image'), form('a.jpg', Buffer.alloc(1001)))), 40006);
    assert.equal(errcodeOf(await client.upload(api('/cgi-bin/media/upload', '&type=image'), form('a.jpg', Buffer.alloc(1000)))), 0);
  });

  test('media is kept 3 days by the emulated clock, then 40007', async () => {
    const up = await client.upload(api('/cgi-bin/media/upload', '&type=voice'), form('v.amr', 'AMR'));
    const get = () => client.download(api('/cgi-bin/media/get', `&media_id=${String(up.json?.media_id)}`));
    emu.advanceClock(3 * 86400 - 1);
    token = tokenOf(await client.token(emu.url));
    assert.equal((await get()).bytes.toString(), 'AMR');
    emu.advanceClock(1);
    const late = await get();
    assert.equal(errcodeOf(late), 40007);
    assert.match(late.contentType, /^application\/json/);
    assert.equal(errcodeOf(await client.download(api('/cgi-bin/media/get', '&media_id=nope'))), 40007);
  });

  test('media/get/jssdk answers a voice as speex; other media 40007', async () => {
    const voice = await client.upload(api('/cgi-bin/media/upload', '&type=voice'), form('v.amr', 'AMR'));
    const r = await client.download(api('/cgi-bin/media/get/jssdk', `&media_id=${String(voice.json?.media_id)}`));
    assert.equal(r.contentType, 'audio/speex');
    assert.match(String(r.headers['content-disposition']), /v\.speex/);
    const img = await client.upload(api('/cgi-bin/media/upload', '&type=image'), form('a.gif', 'G'));
    assert.equal(errcodeOf(await client.download(api('/cgi-bin/media/get/jssdk', `&media_id=${String(img.json?.media_id)}`))), 40007);
  });

  test('uploadimg answers a url for jpg/png, 40005 otherwise', async () => {
    const r = await client.upload(api('/cgi-bin/media/uploadimg'), form('a.jpg', 'J'));
    assert.match(String(r.json?.url), /^http:\/\/mmbiz\.qpic\.cn\//);
    assert.equal(errcodeOf(await client.upload(api('/cgi-bin/media/uploadimg'), form('a.gif', 'J'))), 40005);
  });
});

describe('permanent materials', () => {
  test('add (video with description), count, batchget, get, delete', async () => {
    const img = await client.upload(api('/cgi-bin/material/add_material', '&type=image'), form('p.png', 'P'));
    assert.match(String(img.json?.url), /^http:\/\//);
    assert.equal(errcodeOf(await client.upload(api('/cgi-bin/material/add_material', '&type=video'), form('v.mp4', 'V'))), 47001, 'a video needs description');
    const video = await client.upload(
      api('/cgi-bin/material/add_material', '&type=video'),
      form('v.mp4', 'V', 'media', { description: JSON.stringify({ title: 'T', introduction: 'I' }) }),
    );
    const videoId = String(video.json?.media_id);
    assert.equal(video.json?.url, undefined);
    const count = await client.get(api('/cgi-bin/material/get_materialcount'));
    assert.deepEqual(count.json, { voice_count: 0, video_count: 1, image_count: 1, news_count: 0 });
    const batch = await client.post(api('/cgi-bin/material/batchget_material'), { type: 'image', offset: 0, count: 20 });
    assert.equal(batch.json?.total_count, 1);
    assert.equal((batch.json?.item as { media_id: string }[])[0]!.media_id, img.json?.media_id);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/material/batchget_material'), { type: 'image', offset: 0, count: 21 })), 47001);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/material/batchget_material'), { type: 'doc', offset: 0, count: 1 })), 40004);
    const v = await client.post(api('/cgi-bin/material/get_material'), { media_id: videoId });
    assert.equal(v.json?.title, 'T');
    assert.equal(v.json?.description, 'I');
    const bytes = await client.post(api('/cgi-bin/material/get_material'), { media_id: img.json?.media_id });
    assert.equal(bytes.text, 'P');
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/material/del_material'), { media_id: videoId })), 0);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/material/del_material'), { media_id: videoId })), 40007);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/material/get_material'), { media_id: videoId })), 40007);
  });
});
