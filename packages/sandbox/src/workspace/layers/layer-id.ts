/** Layer ids: `sha256:<hex>` of the layer's canonical tar (layer-tar.ts). */
import { SandboxError } from '../../sandbox.js';

export const LAYER_ID = /^sha256:([0-9a-f]{64})$/;

/** The hex part of a layer id. @throws SandboxError `not_found` for anything else */
export function layerHex(id: string): string {
  const match = LAYER_ID.exec(id);
  if (!match) throw new SandboxError('not_found', `${JSON.stringify(id)} is not a layer id`);
  return match[1]!;
}
