/**
 * A passive reply that missed WeChat's window becomes the customer-service message that delivers it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reply } from '../../src/webhook/replies.js';
import { customMessageOf } from '../../src/wechat/api/message.js';

const OPENID = 'oUser0000000000000000000001';

test('customMessageOf maps every reply to the customer-service JSON', () => {
  assert.deepEqual(customMessageOf(OPENID, reply.text('hi')), { touser: OPENID, msgtype: 'text', text: { content: 'hi' } });
  assert.deepEqual(customMessageOf(OPENID, reply.image('m')), { touser: OPENID, msgtype: 'image', image: { media_id: 'm' } });
  assert.deepEqual(customMessageOf(OPENID, reply.voice('m')), { touser: OPENID, msgtype: 'voice', voice: { media_id: 'm' } });
  assert.deepEqual(customMessageOf(OPENID, reply.video({ mediaId: 'm', title: 't' })), {
    touser: OPENID,
    msgtype: 'video',
    video: { media_id: 'm', title: 't', description: undefined },
  });
  assert.deepEqual(customMessageOf(OPENID, reply.music({ thumbMediaId: 'th', musicUrl: 'u' })), {
    touser: OPENID,
    msgtype: 'music',
    music: { title: undefined, description: undefined, musicurl: 'u', hqmusicurl: undefined, thumb_media_id: 'th' },
  });
  assert.deepEqual(customMessageOf(OPENID, reply.news([{ title: 't', url: 'u', picUrl: 'p' }])), {
    touser: OPENID,
    msgtype: 'news',
    news: { articles: [{ title: 't', description: undefined, url: 'u', picurl: 'p' }] },
  });
  assert.equal(customMessageOf(OPENID, reply.transferCustomerService()), null);
});
