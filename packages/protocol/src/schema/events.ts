import { z } from 'zod';
import { Id, TextBlock, ToolResultContentBlock, UserContentBlock } from './common.js';

export const UserMessageParams = z.strictObject({
  type: z.literal('user.message'),
  content: z.array(UserContentBlock).min(1).max(1000),
});

export const UserInterruptParams = z.strictObject({
  type: z.literal('user.interrupt'),
  session_thread_id: Id.nullish(),
});

export const UserToolConfirmationParams = z.strictObject({
  type: z.literal('user.tool_confirmation'),
  tool_use_id: Id,
  result: z.enum(['allow', 'deny']),
  deny_message: z.string().max(10_000).nullish(),
});

export const UserCustomToolResultParams = z.strictObject({
  type: z.literal('user.custom_tool_result'),
  custom_tool_use_id: Id,
  content: z.array(ToolResultContentBlock).max(1000).optional(),
  is_error: z.boolean().nullish(),
});

export const UserToolResultParams = z.strictObject({
  type: z.literal('user.tool_result'),
  tool_use_id: Id,
  content: z.array(ToolResultContentBlock).max(1000).optional(),
  is_error: z.boolean().nullish(),
});

export const RubricParams = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text'), content: z.string().min(1).max(262_144) }),
  z.strictObject({ type: z.literal('file'), file_id: Id }),
]);

export const UserDefineOutcomeParams = z.strictObject({
  type: z.literal('user.define_outcome'),
  description: z.string().min(1).max(10_000),
  rubric: RubricParams,
  max_iterations: z.number().int().min(1).max(20).nullish(),
});

export const SystemMessageParams = z.strictObject({
  type: z.literal('system.message'),
  content: z.array(TextBlock).min(1).max(1000),
});

export const ClientEventParams = z.discriminatedUnion('type', [
  UserMessageParams,
  UserInterruptParams,
  UserToolConfirmationParams,
  UserCustomToolResultParams,
  UserToolResultParams,
  UserDefineOutcomeParams,
  SystemMessageParams,
]);

export const SendEventsParams = z.strictObject({
  events: z.array(ClientEventParams).min(1).max(100),
});

/** The event types a client may send, in the order the spec lists them. */
export const CLIENT_EVENT_TYPES = [
  'user.message',
  'user.interrupt',
  'user.tool_confirmation',
  'user.custom_tool_result',
  'user.define_outcome',
  'user.tool_result',
  'system.message',
] as const;

export type ClientEventParamsT = z.output<typeof ClientEventParams>;
export type UserMessageParamsT = z.output<typeof UserMessageParams>;
export type UserDefineOutcomeParamsT = z.output<typeof UserDefineOutcomeParams>;
export type SendEventsParamsT = z.output<typeof SendEventsParams>;
