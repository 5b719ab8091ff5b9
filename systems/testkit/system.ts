/**
 * A tiny system for checking the framework itself: a node kind whose request takes an integer and
 * whose other request answers with a reply that breaks its own schema (a bug a user's node could
 * have), so specs can show how every mode refuses both.
 */
import { Node, defineNode, defineSystem, noMessages, z, type RequestOf } from 'distzero';

const probeSchemas = {
  config: z.object({ label: z.string().min(1) }),
  messages: noMessages,
  state: z.object({}),
  requests: {
    /** Echo an integer back. */
    echo: { args: z.object({ n: z.number().int() }), reply: z.object({ n: z.number().int() }) },
    /** Answer with a string where the schema says integer. */
    broken_reply: { args: z.object({}), reply: z.object({ count: z.number().int() }) },
  },
};

class ProbeNode extends Node<typeof probeSchemas> {
  protected state = {};

  receive(message: never): void {
    this.unexpected(message);
  }

  override answer(request: RequestOf<typeof probeSchemas>) {
    if (request.type === 'echo') return { n: request.n };
    return { count: 'many' as unknown as number };
  }
}

export const probeNode = defineNode('testkit.probe', probeSchemas, ProbeNode);
export const testkitSystem = defineSystem('testkit', [probeNode]);
