// Artifact extraction and snapshot rules (pure engine): code block languages and file names, each
// schema and diagram type, lineages that make versions, prose kinds, and the snapshot budget.
import { describe, expect, it } from 'vitest';
import { extractFromText } from '../../src/engine/artifacts.js';
import { buildSnapshot } from '../../src/engine/snapshot.js';
import { parseExport } from '../../src/engine/exports.js';
import { countTokens } from '../../src/engine/tokens.js';

const F = '```';
const one = (text: string) => extractFromText(text, 0, 'assistant');

describe('code blocks', () => {
  it('language from the info string; file name from the info string, a leading line or a first-line comment', () => {
    expect(one(`${F}python title="app/main.py"\nprint(1)\n${F}`)[0]).toMatchObject({ kind: 'code', language: 'python', name: 'app/main.py', content: 'print(1)', lineage: 'file:app/main.py' });
    expect(one(`${F}rust:src/lib.rs\nfn a() {}\n${F}`)[0]).toMatchObject({ language: 'rust', name: 'src/lib.rs' });
    expect(one(`Create **config.yaml**:\n\n${F}\nport: 80\n${F}`)[0]).toMatchObject({ name: 'config.yaml', language: 'yaml' });
    expect(one(`${F}go\n// server.go\npackage main\n${F}`)[0]).toMatchObject({ name: 'server.go', language: 'go' });
    expect(one(`Some prose.\n\n${F}js\nconsole.log(1)\n${F}`)[0]!.name).toBeNull();
  });
  it('unnamed code shares a lineage through its first declared symbol; otherwise its content', () => {
    const a = one(`${F}python\ndef load(path):\n    return 1\n${F}`)[0]!;
    const b = one(`${F}python\ndef load(path, strict=False):\n    return 2\n${F}`)[0]!;
    expect(a.lineage).toBe(b.lineage);
    expect(a.contentHash).not.toBe(b.contentHash);
    const c = one(`${F}\nx = 1\n${F}`)[0]!;
    expect(c.lineage).toMatch(/^code:hash:/);
  });
  it('indented code and an unclosed fence', () => {
    expect(one('Run:\n\n    const a = 1;\n    const b = 2;\n')[0]).toMatchObject({ kind: 'code', content: '    const a = 1;\n    const b = 2;' });
    expect(one(`${F}ts\nlet x = 1;`)[0]).toMatchObject({ content: 'let x = 1;' });
  });
});

describe('schemas and diagrams', () => {
  it.each([
    [`${F}json\n{"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Invoice", "type": "object"}\n${F}`, 'schema', 'json_schema', 'Invoice'],
    [`${F}sql\nCREATE TABLE IF NOT EXISTS orders (id int);\n${F}`, 'schema', 'sql_ddl', 'orders'],
    [`${F}yaml\nopenapi: "3.1.0"\ninfo:\n  title: Shop\n${F}`, 'schema', 'openapi', 'Shop'],
    [`${F}ts\nexport interface User {\n  id: string;\n}\ntype Role = 'a' | 'b';\n${F}`, 'schema', 'typescript', 'User'],
    [`${F}\nsyntax = "proto3";\nmessage Order { string id = 1; }\n${F}`, 'schema', 'protobuf', 'Order'],
    [`${F}mermaid\nflowchart LR\n  a --> b\n${F}`, 'diagram', 'mermaid', null],
    [`${F}\n@startuml Checkout\nA -> B\n@enduml\n${F}`, 'diagram', 'plantuml', 'Checkout'],
    [`${F}dot\ndigraph G { a -> b }\n${F}`, 'diagram', 'graphviz', 'G'],
  ])('%#', (text, kind, subtype, name) => {
    expect(one(text)[0]).toMatchObject({ kind, subtype, name });
  });
  it('TypeScript that runs code is code, not a schema', () => {
    expect(one(`${F}ts\ninterface A { x: number }\nconst a: A = { x: 1 };\n${F}`)[0]!.kind).toBe('code');
  });
});

describe('prose kinds', () => {
  it('commands, decisions with their reason, questions, TODOs', () => {
    const out = one('We decided to drop Redis. The reason is that the cache hit rate was 2%.\n\nShould we keep the queue?\n\nTODO: remove the client.\n\n$ npm install pg\n$ git push origin main');
    expect(out.map((a) => a.kind)).toEqual(['decision', 'question', 'todo', 'command', 'command']);
    expect(out[0]!.reason).toBe('The reason is that the cache hit rate was 2%.');
    expect(out[3]!.content).toBe('npm install pg');
  });
});

describe('snapshot', () => {
  const msgs = Array.from({ length: 20 }, (_, i) => ({
    role: i % 2 ? 'assistant' : 'user',
    text: `Turn ${i} talks about the deployment of service ${i} in some detail, with filler about logs, metrics and dashboards that nobody needs later.${i === 7 ? ' We decided to deploy on Fridays only.' : ''}`,
  }));
  it('stays within the budget and keeps decisions verbatim first', () => {
    for (const budget of [64, 150, 400]) {
      const s = buildSnapshot(msgs, { budget });
      expect(countTokens(s.markdown)).toBeLessThanOrEqual(budget);
      expect(s.state.decisions.map((d) => d.text)).toEqual(['We decided to deploy on Fridays only.']);
    }
    const def = buildSnapshot(msgs);
    expect(def.tokensIn / def.tokensOut).toBeGreaterThanOrEqual(3);
  });
});

describe('exports', () => {
  it('ChatGPT tree without current_node follows the last leaf; tool messages kept', () => {
    const conv = parseExport(
      [{ title: 't', mapping: { a: { id: 'a', parent: null, children: ['b'], message: { author: { role: 'user' }, content: { parts: ['hi'] } } }, b: { id: 'b', parent: 'a', children: [], message: { author: { role: 'tool' }, content: { content_type: 'code', text: 'print(1)' } } } } }],
      null,
      'f',
    );
    expect(conv[0]!.messages).toEqual([{ role: 'user', text: 'hi' }, { role: 'tool', text: 'print(1)' }]);
  });
  it('an export of only empty conversations is refused', () => {
    expect(() => parseExport([{ chat_messages: [] }], 'claude', 'f')).toThrow(/every conversation in the export is empty/);
  });
});
