// The real threads of bench/corpus/conversations/github-threads.json (sources recorded there).
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/paths.js';

export interface Thread {
  id: string;
  source_url: string;
  half: string;
  messages: Array<{ role: string; content: string }>;
  decisions: string[] | null;
}
export const THREADS = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'bench/corpus/conversations/github-threads.json'), 'utf8')) as { conversations: Thread[] }).conversations;


/** TC39 plenary agenda items (bench/corpus/conversations/tc39-plenary.json; source and marking rule there). */
export const TC39 = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'bench/corpus/conversations/tc39-plenary.json'), 'utf8')) as { conversations: Thread[] }).conversations;
