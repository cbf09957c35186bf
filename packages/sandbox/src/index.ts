export { SandboxError } from './sandbox.js';
export type { Sandbox, ExecOptions, ShellResult, ProcessResult, FileInfo, SandboxErrorCode } from './sandbox.js';
