// Every registered tool, in catalog order. A toolset file exports `tools`; add one import line here.
import type { AnyTool } from '../src/registry/define.js';
import { tools as systemTools } from './system.js';
import { tools as tokenTools } from './tokens.js';
import { tools as memoryTools } from './memory.js';
import { tools as kbTools } from './kb.js';
import { tools as documentsTools } from './documents.js';
import { tools as jobsTools } from './jobs.js';

export const allTools: AnyTool[] = [...tokenTools, ...memoryTools, ...documentsTools, ...kbTools, ...jobsTools, ...systemTools];
