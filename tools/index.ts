// Every registered tool, in catalog order. A toolset file exports `tools`; add one import line here.
import type { AnyTool } from '../src/registry/define.js';
import { tools as systemTools } from './system.js';

export const allTools: AnyTool[] = [...systemTools];
