/**
 * wechat-mp-server/testing: WeChat offline. `startEmulator` runs a local api.weixin.qq.com (token
 * rules, quotas, faults, and the account's media, users, templates and QR codes); `simulate` pushes signed messages to a webhook as WeChat does and
 * `validateReply` checks a passive reply the way WeChat reads it; `SANDBOX_APP` is the account both
 * know. `test/exports.test.ts` pins this list.
 * @packageDocumentation
 */
export {
  startEmulator,
  SANDBOX_APP,
  type Emulator,
  type EmulatorApp,
  type StartEmulatorOptions,
  type EmulatorStats,
  type AppCallStats,
  type FaultSpec,
  type FaultEndpoint,
  type FaultKind,
  type SentMessage,
  type AccountData,
  type ScanPush,
  type OutboundMessage,
  type SandboxUser,
  type TicketEmulationOptions,
  type TicketType,
  type TicketTypeView,
  type TicketView,
} from './emulator/index.js';
export {
  simulate,
  simulateScan,
  validateReply,
  SimulationError,
  type SimMessageSpec,
  type SimulateOptions,
  type SimulationResult,
  type ParsedReply,
  type ReplyContext,
} from './simulator/index.js';
