/**
 * What the errcodes users meet first usually mean and what to do about them, attached to each
 * {@link WechatApiError} as `hint`. docs/errors.md shows the same table ("WeChat errcodes");
 * test/wechat/errcode-hints.test.ts keeps the two in step. An errcode not listed here comes
 * through with no hint, unchanged.
 */

/** The hint of one errcode. */
export interface ErrcodeHint {
  /** What the errcode usually means. */
  readonly meaning: string;
  /** What to do. */
  readonly action: string;
}

/** Hints by errcode. */
export const ERRCODE_HINTS: Readonly<Record<number, ErrcodeHint>> = {
  [-1]: { meaning: 'WeChat was busy (system error).', action: 'Retry later with backoff; GET calls were already retried a bounded number of times.' },
  40001: {
    meaning: 'The access_token is invalid or not the latest: another process fetched a new one, or the AppSecret is wrong.',
    action: 'The client already invalidated it and retried once; if it persists, make every process share one token store or token source, and check the AppSecret.',
  },
  40003: { meaning: 'The OpenID is not a user of this account (an OpenID of another AppID, or a typo).', action: 'Use OpenIDs received by this account\'s webhook or OAuth; OpenIDs differ per AppID.' },
  40004: { meaning: 'The media type is not one of image, voice, video, thumb.', action: 'Pass a supported type.' },
  40005: {
    meaning: 'Invalid file type: the upload\'s filename has no extension, or one that does not fit the media type.',
    action: 'Name the file with the right extension (image: jpg/png/gif/bmp, voice: amr/mp3, video: mp4, thumb: jpg); media.upload checks this before sending.',
  },
  40006: { meaning: 'The file is larger than WeChat accepts for its type.', action: 'Compress or shrink it (image 2 MB, voice 2 MB, video 10 MB, thumb 64 KB by the older limits).' },
  40007: {
    meaning: 'Invalid media_id: unknown, of another account, or a temporary media older than 3 days.',
    action: 'Upload again (temporary media live 3 days) or use a permanent material; media_ids are per AppID.',
  },
  40037: { meaning: 'Invalid template_id: not among this account\'s private templates (deleted, or of another account).', action: 'List them with message.listTemplates() and use one of those ids.' },
  40164: {
    meaning: 'The calling IP is not in the account\'s IP whitelist (newer docs answer 61004).',
    action: 'Add the server\'s public egress IP to the whitelist in the MP console (Settings > Basic configuration).',
  },
  41005: { meaning: 'Media data missing: the multipart body had no part named "media" or an empty file.', action: 'Send the file as the "media" part; media.upload builds the body for you.' },
  43004: { meaning: 'The user does not follow the account (never did, or unsubscribed).', action: 'Send only to followers; check user.info(openId).subscribe first.' },
  45009: {
    meaning: 'The daily quota of this API is used up.',
    action: 'Wait for the reset at midnight Beijing time, or reset it with POST /cgi-bin/clear_quota (10 times a month); cache tokens instead of fetching them per call.',
  },
  45011: { meaning: 'Minute quota exceeded: calls too frequent.', action: 'Slow down and retry in the next minute.' },
  45015: {
    meaning: 'Out of the customer-service window: the user has not written, clicked or scanned within 48 hours (or unsubscribed).',
    action: 'Reply passively inside the webhook, or use a template message, which needs no window.',
  },
  45047: { meaning: 'More than 20 customer-service messages in a row without a reply from the user.', action: 'Wait until the user interacts again; consider a template message.' },
  48001: {
    meaning: 'API unauthorized: this account lacks the permission (unverified account, or the API is not granted to its type).',
    action: 'Check the API permissions of the account in the MP console; a subscription account cannot call some service-account APIs.',
  },
  61004: {
    meaning: 'The calling IP is not registered in the IP whitelist (older docs answer 40164).',
    action: 'Add the server\'s public egress IP to the whitelist in the MP console (Settings > Basic configuration).',
  },
};

/** The hint of `errcode`, if it has one. */
export function hintOf(errcode: number): ErrcodeHint | undefined {
  return Object.prototype.hasOwnProperty.call(ERRCODE_HINTS, errcode) ? ERRCODE_HINTS[errcode] : undefined;
}
