import { textOutcome, type ToolExecutor } from '@longhand/harness';

/**
 * The tool executor of a deployment without hands: it offers the model no built-in tools, so
 * the model is never told about tools that cannot run. Custom tools still work.
 */
export const NO_TOOLS: ToolExecutor = {
  specs: () => [],
  execute: async (call) => textOutcome(`The ${call.name} tool is not available in this deployment.`, true),
  idempotent: () => false,
};
