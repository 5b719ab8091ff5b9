/** The broadcast system, as a project's systems module names it. */
import { defineSystem } from 'distzero';
import { broadcastNode } from './nodes.ts';

export const broadcastSystem = defineSystem('broadcast', [broadcastNode]);
export { broadcastNode };
