// Manifest compression on real manifests (three reference servers from npm, captured by
// test/fixtures/manifests/capture.ts): descriptions shrink, and a corpus of arguments — realistic
// calls plus systematic mutations of each — gets the same verdict from the original and the
// compressed inputSchema (Ajv, the validator the MCP SDK itself uses).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { compressDescription, compressManifest, compressSchema, type ManifestTool } from '../../src/services/gateway/manifest.js';

const DIR = path.join(__dirname, '../fixtures/manifests');
const FIXTURES = ['memory', 'filesystem', 'sequential-thinking'];
const load = (n: string) => JSON.parse(fs.readFileSync(path.join(DIR, `${n}.json`), 'utf8')) as { source: { package: string; version: string }; tools: ManifestTool[] };

/** Arguments real agents send to these servers (from the servers' READMEs and typical sessions). */
const REAL: Record<string, unknown[]> = {
  create_entities: [{ entities: [{ name: 'John_Smith', entityType: 'person', observations: ['Speaks fluent Spanish'] }] }],
  create_relations: [{ relations: [{ from: 'John_Smith', to: 'Anthropic', relationType: 'works_at' }] }],
  add_observations: [{ observations: [{ entityName: 'John_Smith', contents: ['Graduated in 2019'] }] }],
  delete_entities: [{ entityNames: ['John_Smith'] }],
  search_nodes: [{ query: 'Spanish' }],
  open_nodes: [{ names: ['John_Smith', 'Anthropic'] }],
  read_graph: [{}],
  read_text_file: [{ path: '/tmp/a.txt' }, { path: '/tmp/a.txt', head: 10 }, { path: '/tmp/a.txt', head: 'ten' }],
  write_file: [{ path: '/tmp/a.txt', content: 'hello' }, { path: '/tmp/a.txt' }],
  edit_file: [{ path: '/tmp/a.txt', edits: [{ oldText: 'a', newText: 'b' }], dryRun: true }, { path: '/tmp/a.txt', edits: [{ oldText: 'a' }] }],
  list_directory_with_sizes: [{ path: '/tmp', sortBy: 'size' }, { path: '/tmp', sortBy: 'date' }],
  search_files: [{ path: '/tmp', pattern: '*.ts', excludePatterns: ['node_modules'] }],
  sequentialthinking: [
    { thought: 'First, restate the problem.', nextThoughtNeeded: true, thoughtNumber: 1, totalThoughts: 3 },
    { thought: 'Revise step 1.', nextThoughtNeeded: false, thoughtNumber: 2, totalThoughts: 3, isRevision: true, revisesThought: 1 },
    { thought: 'x', nextThoughtNeeded: true, thoughtNumber: 0, totalThoughts: 3 },
  ],
};

type S = Record<string, any>;
/** A value the schema accepts, built from its keywords (default, enum, const, type). */
function sample(s: S | undefined, depth = 0): unknown {
  if (!s || depth > 8) return null;
  if ('default' in s) return s.default;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (s.anyOf) return sample(s.anyOf[0], depth + 1);
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === 'object' || s.properties) {
    const o: S = {};
    for (const [k, sub] of Object.entries<S>(s.properties ?? {})) if ((s.required ?? []).includes(k) || depth === 0) o[k] = sample(sub, depth + 1);
    return o;
  }
  if (t === 'array') return [sample(s.items, depth + 1)];
  if (t === 'string') return s.format === 'date-time' ? '2026-01-01T00:00:00Z' : 'x'.repeat(Math.max(1, s.minLength ?? 1));
  if (t === 'integer' || t === 'number') return Math.max(1, s.minimum ?? 1);
  if (t === 'boolean') return true;
  return null;
}

/** The corpus for one tool: real calls, a generated valid call, and mutations of each (missing, wrong type, bad enum, extra). */
function corpus(tool: ManifestTool): unknown[] {
  const schema = tool.inputSchema as S;
  const base = [...(REAL[tool.name] ?? []), sample(schema)];
  const out: unknown[] = [...base, null, 'text', [], {}];
  for (const b of base) {
    if (!b || typeof b !== 'object') continue;
    const args = b as S;
    for (const k of Object.keys(args)) {
      const { [k]: _drop, ...missing } = args;
      out.push(missing);
      out.push({ ...args, [k]: 12345 }, { ...args, [k]: 'a string' }, { ...args, [k]: null }, { ...args, [k]: [] }, { ...args, [k]: { nested: true } });
    }
    for (const [k, sub] of Object.entries<S>(schema.properties ?? {})) if (Array.isArray(sub.enum)) out.push({ ...args, [k]: 'not-in-enum' });
    out.push({ ...args, unexpected_property: 1 });
  }
  return out;
}

/** The schema without annotations: what must be identical after compression. */
function validationOnly(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(validationOnly);
  if (!s || typeof s !== 'object') return s;
  return Object.fromEntries(
    Object.entries(s)
      .filter(([k]) => !['description', 'title', '$schema', '$comment', 'examples'].includes(k))
      .map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v as S).map(([p, x]) => [p, validationOnly(x)])) : ['default', 'enum', 'const', 'required'].includes(k) ? v : validationOnly(v)]),
  );
}

describe('gc_compress_manifest engine on real manifests', () => {
  const ajv = new Ajv({ strict: false, allErrors: false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);

  for (const name of FIXTURES) {
    it(`${name}: same verdict for every argument in the corpus, validation keywords identical`, () => {
      const m = load(name);
      expect(m.source.package).toMatch(/^@modelcontextprotocol\/server-/);
      const r = compressManifest(m.tools);
      expect(r.tools.map((t) => t.name)).toEqual(m.tools.map((t) => t.name));
      let checked = 0;
      let invalid = 0;
      for (const [i, tool] of m.tools.entries()) {
        const c = r.tools[i]!;
        expect(validationOnly(c.inputSchema)).toEqual(validationOnly(tool.inputSchema));
        const before = ajv.compile(tool.inputSchema as S);
        const after = ajv.compile(c.inputSchema as S);
        for (const args of corpus(tool)) {
          const v = before(args);
          expect(after(args), `${tool.name} ${JSON.stringify(args)}`).toBe(v);
          checked++;
          if (!v) invalid++;
        }
      }
      // The corpus exercises both verdicts, not just one.
      expect(checked).toBeGreaterThan(m.tools.length * 5);
      expect(invalid).toBeGreaterThan(0);
      expect(invalid).toBeLessThan(checked);
      expect(r.totals.compressed_tokens).toBeLessThan(r.totals.original_tokens);
    });
  }

  it('long descriptions shrink into the seed range; the first sentence always stays, nothing is invented', () => {
    const fs2 = load('filesystem');
    const st = load('sequential-thinking');
    const r1 = compressManifest(fs2.tools);
    const r2 = compressManifest(st.tools);
    expect(r1.totals.description_savings_pct).toBeGreaterThanOrEqual(50);
    expect(r2.totals.description_savings_pct).toBeGreaterThanOrEqual(50);
    for (const [i, t] of fs2.tools.entries()) {
      const out = r1.tools[i]!.description!;
      const first = t.description!.split(/(?<=[.!?])\s/)[0]!.replace(/\s+/g, ' ').trim();
      expect(out.startsWith(first.slice(0, 20))).toBe(true);
      // Every kept sentence is a sentence of the source (filler phrases aside).
      for (const s of out.split(/(?<=[.!?])\s/)) expect(t.description!.replace(/\s+/g, ' ')).toContain(s.slice(-15));
    }
  });

  it('a property named like an annotation keyword stays a property; defaults, enums and formats are copied', () => {
    const schema = { type: 'object', properties: { title: { type: 'string', description: 'The title. It is shown in bold.' }, when: { type: 'string', format: 'date-time', default: '2020-01-01T00:00:00Z' }, mode: { enum: ['a', 'b'], title: 'Mode' } }, required: ['title'], $schema: 'http://json-schema.org/draft-07/schema#' };
    const c = compressSchema(schema, 0.3) as S;
    expect(Object.keys(c.properties)).toEqual(['title', 'when', 'mode']);
    expect(c.properties.when).toEqual({ type: 'string', format: 'date-time', default: '2020-01-01T00:00:00Z' });
    expect(c.properties.mode).toEqual({ enum: ['a', 'b'] });
    expect(c.required).toEqual(['title']);
    expect(c.$schema).toBeUndefined();
  });

  it('a property description that only restates the names around it is dropped; one that adds a word stays', () => {
    const m = load('memory');
    const r = compressManifest(m.tools);
    const create = r.tools.find((t) => t.name === 'create_entities')!.inputSchema as S;
    const item = create.properties.entities.items;
    expect(item.properties.name.description).toBeUndefined(); // "The name of the entity"
    expect(item.properties.observations.description).toBe('An array of observation contents associated with the entity');
    const relations = (r.tools.find((t) => t.name === 'create_relations')!.inputSchema as S).properties.relations.items.properties;
    expect(relations.from.description).toBe('The name of the entity where the relation starts');
    // light keeps every description.
    const light = compressManifest(m.tools, { level: 'light' }).tools.find((t) => t.name === 'create_entities')!.inputSchema as S;
    expect(light.properties.entities.items.properties.name.description).toBe('The name of the entity');
  });

  it('a one-sentence description is only cleaned, never cut', () => {
    expect(compressDescription('Create multiple new entities in the knowledge graph', 0.1)).toBe('Create multiple new entities in the knowledge graph');
    expect(compressDescription('Use this tool to read a file.  Please note that it is slow.', 0.1)).toBe('Read a file.');
  });
});
