import type { NodeConfig } from '../messages/index.ts';
import type { MachineController } from '../runtime/machine-controller.ts';
import { InputLeafNode, InputNode } from './input-nodes.ts';
import type { Node } from './node.ts';
import { OutputLeafNode, OutputNode } from './output-nodes.ts';
import { SumNode } from './sum-node.ts';

export { Node } from './node.ts';
export { RecordedUser, RecordedUserOrderError } from './recorded-user.ts';
export { InputNode, InputLeafNode, OutputNode, OutputLeafNode, SumNode };

/** The one place a config's kind picks a class. */
export function createNode(config: NodeConfig, controller: MachineController): Node {
  switch (config.kind) {
    case 'input':
      return new InputNode(config, controller);
    case 'input_leaf':
      return new InputLeafNode(config, controller);
    case 'output':
      return new OutputNode(config, controller);
    case 'output_leaf':
      return new OutputLeafNode(config, controller);
    case 'sum':
      return new SumNode(config, controller);
  }
}
