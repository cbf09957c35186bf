import { afterAll } from 'vitest';
import { localProvider, removeRoots } from '../support/providers.js';
import { sandboxConformance } from './sandbox-conformance.js';

afterAll(removeRoots);

sandboxConformance('local (unsandboxed)', async () => localProvider());
