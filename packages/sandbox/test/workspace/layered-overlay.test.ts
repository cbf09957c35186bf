import { layeredSuite } from './layered-suite.js';

layeredSuite('overlay');
