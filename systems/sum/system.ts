/** The sum system, as a project's systems module names it. */
import { defineSystem } from 'distzero';
import { inputLeafNode, inputNode, outputLeafNode, outputNode, sumNode } from './nodes.ts';

export const sumSystem = defineSystem('sum', [inputNode, inputLeafNode, outputNode, outputLeafNode, sumNode]);
export { inputLeafNode, inputNode, outputLeafNode, outputNode, sumNode };
