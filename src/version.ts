// The version is package.json's, read once.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './paths.js';

export const VERSION: string = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
