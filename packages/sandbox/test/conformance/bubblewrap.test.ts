import { afterAll } from 'vitest';
import { bubblewrapProvider, removeRoots } from '../support/providers.js';
import { sandboxConformance } from './sandbox-conformance.js';

afterAll(removeRoots);

sandboxConformance('bubblewrap', () => bubblewrapProvider());
