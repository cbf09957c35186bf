import { z } from 'zod';
import { Metadata, MetadataPatch } from './common.js';

const Host = z.string().min(1).max(253);
const PackageList = z.array(z.string().min(1).max(256)).max(256).nullish();

export const NetworkingParams = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('unrestricted') }),
  z.strictObject({
    type: z.literal('limited'),
    allowed_hosts: z.array(Host).max(256).nullish(),
    allow_mcp_servers: z.boolean().nullish(),
    allow_package_managers: z.boolean().nullish(),
  }),
]);

export const PackagesParams = z.strictObject({
  type: z.literal('packages').optional(),
  apt: PackageList,
  cargo: PackageList,
  gem: PackageList,
  go: PackageList,
  npm: PackageList,
  pip: PackageList,
});

export const CloudConfigParams = z.strictObject({
  type: z.literal('cloud'),
  networking: NetworkingParams.nullish(),
  packages: PackagesParams.nullish(),
});

export const SelfHostedConfigParams = z.strictObject({ type: z.literal('self_hosted') });

export const EnvironmentConfigParams = z.discriminatedUnion('type', [CloudConfigParams, SelfHostedConfigParams]);

const Scope = z.enum(['organization', 'account']).nullish();

export const EnvironmentCreateParams = z.strictObject({
  name: z.string().min(1).max(256),
  description: z.string().max(2048).nullish(),
  config: EnvironmentConfigParams.nullish(),
  metadata: Metadata.optional(),
  scope: Scope,
});

export const EnvironmentUpdateParams = z.strictObject({
  // The SDK types `name` as `string | null`: null, like omitting it, keeps the name.
  name: z.string().min(1).max(256).nullish(),
  description: z.string().max(2048).nullish(),
  config: EnvironmentConfigParams.nullish(),
  metadata: MetadataPatch.nullish(),
  scope: Scope,
});

export type NetworkingParamsT = z.output<typeof NetworkingParams>;
export type PackagesParamsT = z.output<typeof PackagesParams>;
export type EnvironmentConfigParamsT = z.output<typeof EnvironmentConfigParams>;
export type EnvironmentCreateParamsT = z.output<typeof EnvironmentCreateParams>;
export type EnvironmentUpdateParamsT = z.output<typeof EnvironmentUpdateParams>;
