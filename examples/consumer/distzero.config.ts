/**
 * This project's systems module: the test process registers these kinds, and every machine bundle
 * (a container's, an EC2 instance's) is built from this file. Import only node code here.
 */
import { defineSystems } from 'distzero';
import { counterSystem } from './systems/counter/system.ts';

export default defineSystems(counterSystem);
