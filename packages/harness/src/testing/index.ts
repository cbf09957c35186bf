export { ScriptedModel } from './scripted-model.js';
export { startScriptedServer } from './scripted-server.js';
export type { ScriptedServer } from './scripted-server.js';
export { sequence, viewOf } from './script.js';
export type { Script, ScriptedReply, ScriptView } from './script.js';
