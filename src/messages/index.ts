export * from './handles.ts';
export * from './node-messages.ts';
export * from './node-configs.ts';
export * from './api.ts';
export * from './packets.ts';
