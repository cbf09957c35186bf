import type { ModelConfig, ModelParamsT } from '@longhand/protocol';

/**
 * The stored form of `model`: always an object. A bare string means the standard speed.
 * On update, `previous` keeps its effort when the new value does not set one.
 */
export function normalizeModel(params: ModelParamsT, previous?: ModelConfig): ModelConfig {
  if (typeof params === 'string') {
    const out: ModelConfig = { id: params, speed: 'standard' };
    if (previous?.effort) out.effort = previous.effort;
    return out;
  }
  const out: ModelConfig = { id: params.id };
  if (params.effort !== undefined && params.effort !== null) {
    out.effort = typeof params.effort === 'string' ? { type: params.effort } : { type: params.effort.type };
  } else if (params.effort === undefined && previous?.effort) {
    out.effort = previous.effort;
  }
  if (params.inference_geo) out.inference_geo = params.inference_geo;
  out.speed = params.speed ?? 'standard';
  return out;
}
