export * from './handles.ts';
export * from './api.ts';
export * from './packets.ts';
