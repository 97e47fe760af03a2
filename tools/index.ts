// Every registered tool, in catalog order. A toolset file exports `tools`; add one import line here.
import type { AnyTool } from '../src/registry/define.js';
import { tools as systemTools } from './system.js';
import { tools as accountTools } from './account.js';
import { tools as tokenTools } from './tokens.js';
import { tools as compressTools } from './compress.js';
import { tools as cacheTools } from './cache.js';
import { tools as memoryTools } from './memory.js';
import { tools as kbTools } from './kb.js';
import { tools as lookupTools } from './lookup.js';
import { tools as multimodalTools } from './multimodal.js';
import { tools as documentsTools } from './documents.js';
import { tools as jobsTools } from './jobs.js';
import { tools as cliTools } from './cli.js';
import { tools as codeTools } from './code.js';
import { tools as contextsTools } from './contexts.js';
import { tools as distillTools } from './distill.js';
import { tools as hooksTools } from './hooks.js';
import { tools as aceTools } from './ace.js';
import { tools as gatewayTools } from './gateway.js';
import { tools as spacesTools } from './spaces.js';

export const allTools: AnyTool[] = [...tokenTools, ...compressTools, ...memoryTools, ...documentsTools, ...multimodalTools, ...kbTools, ...lookupTools, ...jobsTools, ...codeTools, ...cliTools, ...contextsTools, ...distillTools, ...spacesTools, ...aceTools, ...gatewayTools, ...cacheTools, ...accountTools, ...hooksTools, ...systemTools];
