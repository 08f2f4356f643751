/**
 * Webhook simulator: pushes messages and events to a webhook exactly as WeChat does (signatures,
 * plain/compatible/safe modes, 5 s timeout with re-delivery of the same MsgId) and validates replies.
 * @packageDocumentation
 */
export type {
  SimMessageSpec,
  SimTextSpec,
  SimImageSpec,
  SimVoiceSpec,
  SimVideoSpec,
  SimLocationSpec,
  SimLinkSpec,
  SimEventSpec,
} from './message-spec.js';
export { MESSAGE_TYPES, KNOWN_EVENTS } from './message-spec.js';
export { buildMessageXml, cdata, type MessageEnvelope } from './message-xml.js';
export { buildDelivery, type Delivery, type DeliveryInput } from './delivery.js';
export {
  validateReply,
  DEFAULT_MAX_SKEW_SECONDS,
  REPLY_MSG_TYPES,
  MAX_NEWS_ARTICLES,
  type ReplyContext,
  type ParsedReply,
  type ReplyBase,
  type NewsArticle,
} from './validate-reply.js';
export {
  simulate,
  simulateScan,
  SimulationError,
  DEFAULT_SIM_TIMEOUT_MS,
  DEFAULT_SIM_ATTEMPTS,
  MAX_SIM_ATTEMPTS,
  DEFAULT_SIM_ACCOUNT_ID,
  DEFAULT_SIM_OPENID,
  type SimulateOptions,
  type SimulationResult,
} from './simulate.js';
export { newSimMsgId, newNonce, newOpenId } from './ids.js';
export type { ScanEvent } from './emulator-link.js';
export { formatReply, formatResult } from './format.js';
export { parseMessageArgs, resolveSimulateOptions, SIMULATE_USAGE, type SimulateFlags } from './cli-args.js';
