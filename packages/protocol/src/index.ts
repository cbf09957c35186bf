export { ID_PREFIX, newId, hasPrefix, primaryThreadId } from './ids.js';
export type { IdKind } from './ids.js';
export { isoNow, isoFromMillis, parseTimestamp } from './time.js';
export { ERROR_CODES, LonghandError, isLonghandError, invalidRequest, notFound } from './errors.js';
export type { ErrorCode, WireErrorBody, LonghandErrorOptions } from './errors.js';
export { parse, toValidationError, formatPath } from './validation.js';
export { encodeCursor, decodeCursor } from './pagination.js';
export type { Cursor } from './pagination.js';
export {
  Metadata as MetadataSchema,
  MetadataPatch as MetadataPatchSchema,
  Money as MoneySchema,
  BudgetParams,
  TextBlock,
  UserContentBlock,
  ToolResultContentBlock,
} from './schema/common.js';
export type { TextBlockT, UserContentBlockT, ToolResultContentBlockT, MoneyT, BudgetParamsT } from './schema/common.js';
export {
  EFFORTS,
  BUILTIN_TOOL_NAMES,
  ModelParams,
  PermissionPolicy as PermissionPolicySchema,
  ToolParams,
  ToolsParams,
  McpServersParams,
  SkillsParams,
  MultiagentParams,
  AgentCreateParams,
  AgentUpdateParams,
} from './schema/agent.js';
export type {
  BuiltinToolName,
  ModelParamsT,
  PermissionPolicyT,
  ToolParamsT,
  AgentToolsetParamsT,
  McpToolsetParamsT,
  CustomToolParamsT,
  McpServerParamsT,
  SkillParamsT,
  MultiagentParamsT,
  AgentCreateParamsT,
  AgentUpdateParamsT,
} from './schema/agent.js';
export { EnvironmentCreateParams, EnvironmentUpdateParams, EnvironmentConfigParams } from './schema/environment.js';
export type {
  NetworkingParamsT,
  PackagesParamsT,
  EnvironmentConfigParamsT,
  EnvironmentCreateParamsT,
  EnvironmentUpdateParamsT,
} from './schema/environment.js';
export {
  SessionCreateParams,
  SessionUpdateParams,
  SessionResourceParams,
  FileResourceAddParams,
  SessionForkParams,
  SessionRestoreParams,
  CheckpointCreateParams,
} from './schema/session.js';
export type {
  SessionAgentRefT,
  SessionResourceParamsT,
  SessionCreateParamsT,
  SessionUpdateParamsT,
  SessionForkParamsT,
  SessionRestoreParamsT,
} from './schema/session.js';
export { ClientEventParams, SendEventsParams, CLIENT_EVENT_TYPES } from './schema/events.js';
export type { ClientEventParamsT, UserMessageParamsT, UserDefineOutcomeParamsT, SendEventsParamsT } from './schema/events.js';
export {
  ResourceListQuery,
  AgentVersionsQuery,
  AgentRetrieveQuery,
  SessionListQuery,
  EventListQuery,
  EventStreamQuery,
  PlainQuery,
  FileListQuery,
  WorkspacePathQuery,
} from './schema/query.js';
export type { ResourceListQueryT, SessionListQueryT, EventListQueryT } from './schema/query.js';
export type {
  Metadata,
  Money,
  BudgetLimit,
  PermissionPolicy,
  ModelConfig,
  BuiltinToolConfig,
  UrlSourceMode,
  AgentToolset,
  McpToolset,
  CustomTool,
  AgentTool,
  McpServer,
  Skill,
  ExecutionIdentity,
  AgentReference,
  Multiagent,
  MultiagentMember,
  Agent,
  Networking,
  Packages,
  EnvironmentConfig,
  Environment,
  SessionAgent,
  SessionResource,
  SessionUsage,
  SessionStatus,
  OutcomeEvaluation,
  Session,
  Checkpoint,
  FileMetadata,
  CursorPage,
  BidirectionalPage,
} from './wire/resources.js';
export { WORK_EVENT_TYPES, SETTLE_EVENT_TYPES } from './wire/events.js';
export type {
  StopReason,
  RetryStatus,
  SessionErrorType,
  SessionErrorObject,
  EvaluatedPermission,
  ToolEvaluation,
  ModelUsage,
  StopDetails,
  EventBody,
  EventType,
  SessionEvent,
  EventOf,
  PreviewEvent,
  SessionDeletedEvent,
} from './wire/events.js';
