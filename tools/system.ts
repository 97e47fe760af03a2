import type { AnyTool } from '../src/registry/define.js';
export const tools: AnyTool[] = [];
