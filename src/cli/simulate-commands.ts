/** The simulator's commands, registered together: `simulate` and `demo`. */
export { registerDemo } from './demo.js';
export { registerSimulate } from './simulate.js';
