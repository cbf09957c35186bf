import { layeredSuite } from './layered-suite.js';

// The fallback for hosts without overlayfs must pass the very same suite.
layeredSuite('copy');
