/**
 * One signed delivery of a push, as WeChat sends it (docs/protocol.md sections 4 and 5):
 * the query carries `signature` over [Token, timestamp, nonce] and `openid`; compatible and safe
 * modes add `encrypt_type=aes&msg_signature` over [Token, timestamp, nonce, Encrypt]. The body is
 * the plain XML (plain mode), the plain fields plus `<Encrypt>` (compatible), or only ToUserName and
 * `<Encrypt>` (safe).
 */
import { computeSignature } from '../webhook/signature.js';
import type { WechatCipher } from '../webhook/crypto.js';
import type { MessageMode } from '../webhook/options.js';
import { cdata } from './message-xml.js';

/** Inputs of {@link buildDelivery}. */
export interface DeliveryInput {
  /** The plain message XML. */
  readonly xml: string;
  readonly mode: MessageMode;
  /** The webhook Token. */
  readonly token: string;
  /** The account id (`gh_...`), repeated in the safe-mode body. */
  readonly accountId: string;
  readonly openId: string;
  /** Required in compatible and safe modes. */
  readonly cipher?: WechatCipher;
  /** Seconds, as a decimal string. */
  readonly timestamp: string;
  readonly nonce: string;
}

/** What to POST. */
export interface Delivery {
  readonly query: Record<string, string>;
  readonly body: string;
}

/** Sign (and in compatible/safe modes encrypt) one delivery. */
export function buildDelivery(input: DeliveryInput): Delivery {
  const { token, timestamp, nonce } = input;
  const query: Record<string, string> = {
    signature: computeSignature(token, timestamp, nonce),
    timestamp,
    nonce,
    openid: input.openId,
  };
  if (input.mode === 'plain') return { query, body: input.xml };
  if (!input.cipher) throw new Error('buildDelivery: a cipher is required in compatible and safe modes');
  const encrypted = input.cipher.encrypt(input.xml);
  query.encrypt_type = 'aes';
  query.msg_signature = computeSignature(token, timestamp, nonce, encrypted);
  const encryptNode = `<Encrypt>${cdata(encrypted)}</Encrypt>`;
  if (input.mode === 'safe') {
    return { query, body: `<xml><ToUserName>${cdata(input.accountId)}</ToUserName>${encryptNode}</xml>` };
  }
  return { query, body: input.xml.replace(/<\/xml>$/, `${encryptNode}</xml>`) };
}
