/** The broadcast system, as a project's systems module names it: the reliable kind and the raw one. */
import { defineSystem } from 'distzero';
import { broadcastNode } from './nodes.ts';
import { rawBroadcastNode } from './raw-nodes.ts';

export const broadcastSystem = defineSystem('broadcast', [broadcastNode, rawBroadcastNode]);
export { broadcastNode, rawBroadcastNode };
