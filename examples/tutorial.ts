// The tutorials' shape: a Mongoose connection, the Token model, and a Wechat client that pulls its
// access_token through get/save functions backed by that model. Run: node --import tsx examples/tutorial.ts
// (MONGODB_URI, WECHAT_APP_ID, WECHAT_APP_SECRET; WECHAT_API_BASE to use the local emulator).
import mongoose from 'mongoose';
import { Token, Wechat } from 'wechat-mp-server';

await mongoose.connect(process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/wechat');

const wechat = new Wechat({
  appID: process.env.WECHAT_APP_ID ?? '',
  appSecret: process.env.WECHAT_APP_SECRET ?? '',
  getAccessToken: Token.getAccessToken, // reads the AppID's document (pre-save timestamps in meta)
  saveAccessToken: Token.saveAccessToken, // called with { appid, access_token, expires_at, fetched_at }
  ...(process.env.WECHAT_API_BASE ? { apiBase: process.env.WECHAT_API_BASE } : {}),
});

const token = await wechat.fetchAccessToken();
const stored = await Token.getAccessToken(wechat.appId);
console.log(`access_token valid until ${new Date(token.expires_at).toISOString()}; stored and valid: ${Token.isValid(stored)}`);

await wechat.close();
await mongoose.disconnect();
