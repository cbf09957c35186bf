import { invalidRequest, type ClientEventParamsT } from '@longhand/protocol';

/**
 * Checks the shape rules of one request that depend only on the request itself (spec 4.2):
 * at most one `system.message`, last, right after the result or message it accompanies; no
 * redacted blocks in user content; `deny_message` only with a denial.
 */
export function checkRequestShape(events: readonly ClientEventParamsT[]): void {
  const systemIndexes = events.flatMap((event, index) => (event.type === 'system.message' ? [index] : []));
  if (systemIndexes.length > 1) throw invalidRequest('events: at most one system.message is allowed per request');
  const systemIndex = systemIndexes[0];
  if (systemIndex !== undefined) {
    if (systemIndex !== events.length - 1) throw invalidRequest(`events[${systemIndex}]: a system.message must be the last event of the request`);
    const before = events[systemIndex - 1];
    const companions = new Set(['user.message', 'user.tool_result', 'user.custom_tool_result']);
    if (before && !companions.has(before.type) && events.some((e) => companions.has(e.type))) {
      throw invalidRequest(`events[${systemIndex}]: a system.message must immediately follow the message or tool result it accompanies`);
    }
  }
  for (const [index, event] of events.entries()) {
    if (event.type === 'user.message') {
      for (const [blockIndex, block] of event.content.entries()) {
        if (block.type === 'redacted') {
          throw invalidRequest(`events[${index}].content[${blockIndex}]: redacted blocks are produced by the platform and cannot be sent`);
        }
      }
    }
    if (event.type === 'user.tool_confirmation' && event.result === 'allow' && event.deny_message) {
      throw invalidRequest(`events[${index}].deny_message is only allowed when result is deny`);
    }
  }
}

/**
 * While a session is idle waiting on tool results (`requires_action`), a `system.message` is
 * accepted only right after a `user.tool_result` or `user.custom_tool_result` of the same
 * request (spec 4.2).
 */
export function checkSystemWhileBlocked(events: readonly ClientEventParamsT[]): void {
  const index = events.findIndex((event) => event.type === 'system.message');
  if (index === -1) return;
  const before = events[index - 1];
  if (before?.type !== 'user.tool_result' && before?.type !== 'user.custom_tool_result') {
    throw invalidRequest(
      `events[${index}]: the session waits on tool results (requires_action); a system.message is accepted only right after a user.tool_result or user.custom_tool_result`,
    );
  }
}

/** File ids that blocks of an event refer to, with where they are, for existence checks. */
export function referencedFiles(events: readonly ClientEventParamsT[]): Array<{ fileId: string; where: string }> {
  const out: Array<{ fileId: string; where: string }> = [];
  for (const [index, event] of events.entries()) {
    const content = 'content' in event && Array.isArray(event.content) ? event.content : [];
    for (const [blockIndex, block] of content.entries()) {
      if ((block.type === 'image' || block.type === 'document') && block.source.type === 'file') {
        out.push({ fileId: block.source.file_id, where: `events[${index}].content[${blockIndex}].source.file_id` });
      }
    }
    if (event.type === 'user.define_outcome' && event.rubric.type === 'file') {
      out.push({ fileId: event.rubric.file_id, where: `events[${index}].rubric.file_id` });
    }
  }
  return out;
}
