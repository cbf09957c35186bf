import type Anthropic from '@anthropic-ai/sdk';
import { BadRequestError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badField, expectApiError, makeEnvironment } from '../support/fixtures.js';
import { CONTROL_PLANE, startServer, type TestServer } from '../support/server.js';

let server: TestServer;
let client: Anthropic;
beforeAll(async () => {
  server = await startServer(CONTROL_PLANE);
  client = server.a.client;
});
afterAll(() => server.close());

const withPackages = (packages: Record<string, string[]>) => makeEnvironment(client, { config: { type: 'cloud', packages } as never });

describe("an environment's package names", () => {
  it.each([
    ['npm', '--registry=http://attacker.example/', 'starts with "-"'],
    ['npm', 'left-pad; curl evil', 'contains whitespace'],
    ['npm', 'git+https://github.com/a/b.git', 'is a URL'],
    ['npm', 'user/repo', 'is not a valid npm package specifier'],
    ['pip', '-r requirements.txt', 'contains whitespace'],
    ['pip', '--index-url=http://attacker.example/', 'starts with "-"'],
    ['pip', './local-dir', 'is not a valid pip package specifier'],
    ['apt', 'curl-', 'is not a valid apt package specifier'],
    ['apt', 'Curl', 'is not a valid apt package specifier'],
    ['gem', 'rails$(id)', 'is not a valid gem package specifier'],
    ['cargo', 'ripgrep\n--root=/', 'contains whitespace'],
    ['go', '/abs/path', 'is not a valid go package specifier'],
    ['npm', `a${'b'.repeat(214)}`, 'is longer than 214 characters'],
  ])('refuses %s %j with a 400 that says why', async (manager, name, why) => {
    const error = await expectApiError(withPackages({ [manager]: ['fine', name] }), BadRequestError, badField(`config.packages.${manager}[1]`));
    expect(error.apiMessage).toContain(why);
  });

  it.each([
    ['npm', ['left-pad', '@types/node@20', 'typescript@^5.4.0', 'lodash@latest']],
    ['pip', ['pandas==2.0.0', 'requests[socks]>=2,<3', 'Django~=4.2']],
    ['apt', ['curl', 'libssl3', 'g++', 'python3.11=3.11.2-6', 'jq/bookworm-backports']],
    ['cargo', ['ripgrep', 'cargo-edit@0.12.2']],
    ['gem', ['rails', 'rake:13.0.6']],
    ['go', ['golang.org/x/tools/cmd/goimports@latest', 'github.com/go-delve/delve/cmd/dlv']],
  ])('accepts registry specifiers of %s', async (manager, names) => {
    const environment = await withPackages({ [manager]: names });
    expect(environment.config).toMatchObject({ packages: { [manager]: names } });
  });

  it('are checked on update too, where the stored ones stay', async () => {
    const environment = await withPackages({ npm: ['left-pad'] });
    await expectApiError(
      client.beta.environments.update(environment.id, { config: { type: 'cloud', packages: { npm: ['-g'] } } } as never),
      BadRequestError,
      badField('config.packages.npm[0]'),
    );
    expect((await client.beta.environments.retrieve(environment.id)).config).toMatchObject({ packages: { npm: ['left-pad'] } });
  });

  it('still need allow_package_managers under limited networking', async () => {
    await expectApiError(
      makeEnvironment(client, { config: { type: 'cloud', networking: { type: 'limited' }, packages: { npm: ['left-pad'] } } }),
      BadRequestError,
      badField('allow_package_managers'),
    );
  });
});
