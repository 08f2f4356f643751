/**
 * What the emulator's control API answers (`/__emulator/...`): a status and a JSON body.
 */

/** An answer of the control API. */
export interface ControlReply {
  readonly status: number;
  readonly body: unknown;
}

/** A refused control request, with a reason. */
export const controlFailure = (status: number, message: string): ControlReply => ({ status, body: { error: 'WMP_ERR_EMULATOR', message } });
