/**
 * This project's systems: the registry the test process uses and every machine bundle is built from.
 * Import only the node side of each system here (kinds and schemas), never test helpers.
 */
import { defineSystems } from 'distzero';
import { broadcastSystem } from './systems/broadcast/system.ts';
import { registerSystem } from './systems/register/system.ts';
import { sumSystem } from './systems/sum/system.ts';
import { testkitSystem } from './systems/testkit/system.ts';

export default defineSystems(sumSystem, broadcastSystem, registerSystem, testkitSystem);
