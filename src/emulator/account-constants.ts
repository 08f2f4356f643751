/**
 * Defaults and limits of an emulated account's data (docs/protocol.md sections 9-11).
 */

/** Followers every emulated account starts with. */
export const DEFAULT_FOLLOWERS = 30;
/** OpenIDs per page of user/get (WeChat's page size). */
export const DEFAULT_USER_LIST_PAGE_SIZE = 10_000;
/** Temporary media types and their upload limits in bytes (older docs; newer ones allow larger images). */
export const DEFAULT_MEDIA_MAX_BYTES = { image: 2 * 1024 * 1024, voice: 2 * 1024 * 1024, video: 10 * 1024 * 1024, thumb: 64 * 1024 } as const;
/** File extensions WeChat accepts per media type. */
export const MEDIA_EXTENSIONS: Readonly<Record<'image' | 'voice' | 'video' | 'thumb', readonly string[]>> = {
  image: ['bmp', 'png', 'jpeg', 'jpg', 'gif'],
  voice: ['amr', 'mp3'],
  video: ['mp4'],
  thumb: ['jpg'],
};
/** Permanent image materials may be up to 10 MB. */
export const PERMANENT_IMAGE_MAX_BYTES = 10 * 1024 * 1024;
/** uploadimg (images inside articles): jpg/png up to 1 MB. */
export const UPLOADIMG_MAX_BYTES = 1024 * 1024;
/** Temporary media live 3 days. */
export const MEDIA_LIFETIME_MS = 3 * 86_400_000;
/** The customer-service window after a user's last interaction. */
export const SERVICE_WINDOW_MS = 48 * 3_600_000;
/** Customer-service messages allowed in a row without a user reply (then 45047). */
export const SERVICE_MESSAGES_PER_INTERACTION = 20;
/** Tags an account may have (ids 0-2 are the system's, not counted). */
export const MAX_TAGS = 100;
/** Tags one user may carry. */
export const MAX_TAGS_PER_USER = 20;
/** Tag name length in bytes. */
export const MAX_TAG_NAME_BYTES = 30;
/** OpenIDs per batchtagging/batchuntagging call. */
export const MAX_TAGGING_OPENIDS = 50;
/** OpenIDs per batchblacklist/batchunblacklist call. */
export const MAX_BLACKLIST_OPENIDS = 20;
/** Users per user/info/batchget call. */
export const MAX_BATCHGET_USERS = 100;
/** Longest remark, characters. */
export const MAX_REMARK_CHARS = 30;
/** Temporary QR codes live at most 30 days; 30 s when expire_seconds is absent. */
export const MAX_QR_EXPIRE_SECONDS = 2_592_000;
export const DEFAULT_QR_EXPIRE_SECONDS = 30;
/** Permanent QR scene_id range. */
export const MAX_QR_LIMIT_SCENE_ID = 100_000;
/** Temporary QR scene_id: a 32-bit non-zero unsigned integer. */
export const MAX_QR_SCENE_ID = 4_294_967_295;
/** scene_str length, characters. */
export const MAX_QR_SCENE_STR = 64;
/** shorten/gen: long_data bytes and the longest expire_seconds. */
export const MAX_SHORTEN_DATA_BYTES = 4096;
/** Materials per batchget_material page. */
export const MAX_MATERIAL_BATCH = 20;
/** client_msg_id deduplication window of template/send. */
export const CLIENT_MSG_ID_WINDOW_MS = 10 * 60_000;
