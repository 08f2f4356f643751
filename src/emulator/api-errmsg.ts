/**
 * errmsg texts of the errcodes answered by the message, media, menu, user and QR code APIs
 * (docs/protocol.md sections 9-11), merged into ERRMSG (replies.ts).
 */
export const API_ERRMSG: Readonly<Record<number, string>> = {
  40004: 'invalid media type',
  40005: 'invalid file type',
  40006: 'invalid meida size',
  40007: 'invalid media_id',
  40032: 'invalid openid list size',
  40037: 'invalid template_id',
  40097: 'invalid args',
  41005: 'media data missing',
  43004: 'require subscribe',
  45015: 'response out of time limit or subscription is canceled',
  45047: 'out of response count limit',
  45056: 'too many tags now, no more tags can be created',
  45057: 'can not delete the tag, there are too many fans under it',
  45058: 'can not modify the system tag',
  45059: 'the user has too many tags',
  45157: 'tag name conflict',
  45158: 'tag name too long',
  45159: 'invalid tag id',
  46002: 'menu no exist',
  65301: 'no such menuid',
  65302: 'no such user',
  65303: 'there is no selfmenu, please create selfmenu first',
  65304: 'match rule empty',
};
