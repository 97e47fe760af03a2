// A second process writing to a data dir another process is serving (see app.ts writeFromChild).
import type { Scope } from '../../src/domain/scope.js';
import { DocumentsService } from '../../src/services/documents.js';
import { KbService } from '../../src/services/kb.js';
import { MemoryService } from '../../src/services/memory.js';
import { openApp, type ChildOp } from './app.js';

const [dataDir, scopeJson, opJson] = process.argv.slice(2);
const scope = JSON.parse(scopeJson!) as Scope;
const ops = JSON.parse(opJson!) as ChildOp[];
const app = await openApp(dataDir!);
const out: unknown[] = [];
for (const op of ops) {
  if (op.op === 'kb-ingest') out.push(await app.deps.service(KbService).ingest(scope, { itemId: op.itemId, mode: 'text', content: op.content }));
  else if (op.op === 'kb-delete') out.push(await app.deps.service(KbService).delete(scope, op.itemId));
  else if (op.op === 'doc-ingest') out.push(await app.deps.service(DocumentsService).ingest(scope, { fileId: op.fileId, text: op.text }));
  else out.push(await app.deps.service(MemoryService).add(scope, { text: op.text }));
}
await app.close();
process.stdout.write(JSON.stringify(out));
