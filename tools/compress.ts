// compress toolset. estimate_tokens is defined by the platform; the rest by the compression work.
import type { AnyTool } from '../src/registry/define.js';
export const tools: AnyTool[] = [];
