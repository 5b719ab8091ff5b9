/** The register system, as a project's systems module names it: one kind, primary and backups alike. */
import { defineSystem } from 'distzero';
import { registerNode } from './nodes.ts';

export const registerSystem = defineSystem('register', [registerNode]);
export { registerNode };
