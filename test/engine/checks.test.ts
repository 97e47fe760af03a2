// Secrets pre-flight, structural-loss counts, detect_issues, advisory rules and prompt-cache planning.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { assertNoSecrets, detectSecret } from '../../src/engine/secrets.js';
import { countStructure, structuralLoss } from '../../src/engine/structure.js';
import { detectIssues } from '../../src/engine/quality.js';
import { adviseContext, checkBudget, preFlight, recommendFidelity, resolveWindow } from '../../src/engine/advisory.js';
import { auditCache, planPromptCache } from '../../src/engine/prompt-cache.js';

// Built at runtime so no complete credential literal sits in the repository.
const AWS = 'AKIA' + 'Z4XQ7MPL2RT5WBN3';
const OPENAI = 'sk-proj-' + 'a1B2c3D4e5F6g7H8i9J0kLmN';
const AWS_SECRET = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYEXAMPLEKEY'].join('/');
const PEM = '-----BEGIN ' + 'RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----';

describe('secrets', () => {
  it.each([
    [`config: ${AWS}`, 'aws_access_key'],
    [`export OPENAI_API_KEY=${OPENAI}`, 'openai_api_key'],
    [PEM, 'pem_private_key'],
    ['scp ~/.ssh/id_ed25519 backup:', 'ssh_key_path'],
    ['DEBUG=false\nSECRET_KEY=f8a9d0c7b6e5a4f3e2d1\nPORT=8000', 'dotenv_secret'],
    ['DATABASE_URL=postgres://app:hunter2pass@db:5432/app\nLOG_LEVEL=info', 'dotenv_secret'],
    [`secret: ${AWS_SECRET}`, 'aws_access_key'],
    [`aws_secret_access_key = ${AWS_SECRET}`, 'aws_access_key'],
    [`"SecretAccessKey": "${AWS_SECRET}"`, 'aws_access_key'],
    [`AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`, 'aws_access_key'],
    [`the secret is ${AWS_SECRET}`, 'aws_access_key'],
  ])('flags %#', (text, cls) => {
    expect(detectSecret(text)).toEqual({ marker_class: cls });
  });

  it.each([
    'We use scikit-learn (sk-learn) and the AKIA prefix is documented.',
    'SECRET_KEY=your-secret-here\nDEBUG=true',
    'SECRET_KEY=\nAPI_KEY=${API_KEY}',
    'Only one line: PASSWORD=correcthorsebattery',
    'The file lives in ~/.ssh/config',
    // 40 characters after "secret" that are not a random key: a git SHA-1, one-case runs, base64 of
    // another length, and a key-shaped value no word "secret" names.
    'secret: da39a3ee5e6b4b0d3255bfef95601890afd80709',
    'The secret sauce: ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMN is not a key',
    'secret_name: thisisalongsnakecaseidentifierwithnocaps',
    `secret: ${Buffer.from('a longer payload that is base64 of some other kind, not a key').toString('base64')}`,
    `image digest ${AWS_SECRET.replace(/\//g, 'x')} and checksum`,
    'Keep the secret of good prose: short sentences, concrete words and one idea per paragraph.',
  ])('does not flag placeholders or prose %#', (text) => {
    expect(detectSecret(text)).toBeNull();
  });

  it('throws 400 sensitive_content with the class only, never the value', () => {
    try {
      assertNoSecrets(`token ${AWS}`, 'text');
      expect.unreachable();
    } catch (e) {
      const err = e as AppError;
      expect(err.status).toBe(400);
      expect(err.toBody()).toMatchObject({ error_code: 'sensitive_content', marker_class: 'aws_access_key' });
      expect(JSON.stringify(err.toBody())).not.toContain(AWS);
      expect(err.message).not.toContain(AWS);
    }
  });
});

describe('structure', () => {
  it('counts fenced blocks, headings outside code and URLs; reports the classes lost', () => {
    const before = countStructure('# T\n\n```sh\n# not a heading\n```\n\n## U\nsee https://a.example/x and http://b.example.\n');
    expect(before).toEqual({ code_blocks: 1, headings: 2, urls: 2 });
    const after = countStructure('# T\nsee https://a.example/x');
    expect(structuralLoss(before, after)).toEqual(['code_blocks', 'headings', 'urls']);
    expect(structuralLoss(before, before)).toEqual([]);
  });
});

describe('detectIssues', () => {
  const source =
    'The cache holds 512 entries. Entries expire after 30 minutes. Call `flushCache()` to empty it. ' +
    'The service does not retry failed writes. Contact Priya Raman for access.';

  it('scores a faithful extract as clean', () => {
    const r = detectIssues(source, source);
    expect(r.issues_found).toBe(0);
    expect(r.quality_score).toBe(1);
  });

  it('flags invented numbers and unsupported sentences as hallucinations', () => {
    const r = detectIssues(source, 'The cache holds 4096 entries. Quantum tunnelling accelerates rendering pipelines dramatically.');
    const h = r.issues.filter((i) => i.type === 'hallucination');
    expect(h.length).toBe(2);
    expect(h.some((i) => i.severity === 'high' && i.description.includes("'4096'"))).toBe(true);
    expect(r.hallucination_score!).toBeLessThan(0.5);
  });

  it('finds lost numbers, identifiers, names and a dropped negation', () => {
    const r = detectIssues(source, 'The cache holds 512 entries. The service does retry failed writes.');
    const lost = r.issues.filter((i) => i.type === 'blind_spot').map((i) => i.description);
    expect(lost.some((d) => d.includes("'30'"))).toBe(true);
    expect(lost.some((d) => d.includes('flushCache()'))).toBe(true);
    expect(lost.some((d) => d.includes('Priya'))).toBe(true);
    const flip = r.issues.find((i) => i.severity === 'high' && i.type === 'blind_spot');
    expect(flip?.description).toContain('negation');
    expect(r.quality_score).toBeLessThan(0.8);
    expect(r.quality_score).toBeGreaterThan(0);
  });

  it('honours the check switches', () => {
    const r = detectIssues(source, 'The cache holds 4096 entries.', { checkHallucination: false });
    expect(r.issues.every((i) => i.type === 'blind_spot')).toBe(true);
    expect(r.hallucination_score).toBeNull();
  });
});

describe('advisory', () => {
  it('recommend_fidelity follows the size rules and steps up near the window', () => {
    expect(recommendFidelity(300, 200_000).recommended_fidelity).toBe('detailed');
    expect(recommendFidelity(1500, 200_000).recommended_fidelity).toBe('balanced');
    expect(recommendFidelity(8000, 200_000).recommended_fidelity).toBe('outline');
    expect(recommendFidelity(50_000, 200_000).recommended_fidelity).toBe('abstract');
    // 400 tokens at detailed = 160 > 70% of a 200-token window: stepped up until it fits or abstract.
    const r = recommendFidelity(400, 200);
    expect(r.recommended_fidelity).toBe('balanced');
    expect(r.reasoning).toContain('stepped up');
  });

  it('check_budget thresholds: OK <50, WARNING 50–80, CRITICAL >80', () => {
    expect(checkBudget(49_000, 100_000).status).toBe('OK');
    expect(checkBudget(50_000, 100_000).status).toBe('WARNING');
    expect(checkBudget(80_000, 100_000).status).toBe('WARNING');
    expect(checkBudget(80_001, 100_000).status).toBe('CRITICAL');
  });

  it('pre-flight gives each of the four verdicts', () => {
    expect(preFlight(200, 1000, 200_000).verdict).toBe('send_as_is');
    expect(preFlight(6000, 1000, 200_000).verdict).toBe('send_compressed');
    expect(preFlight(6000, 1000, 200_000).recommended_fidelity).toBe('outline');
    expect(preFlight(50_000, 100_000, 200_000).verdict).toBe('warn_context_limit');
    expect(preFlight(10, 180_000, 200_000).verdict).toBe('clear_first');
  });

  it('advise_context separates material from dialogue', () => {
    expect(adviseContext(10_000, { material: 9000, dialogue: 1000 }, 200_000, false).recommendation).toBe('continue');
    expect(adviseContext(150_000, { material: 120_000, dialogue: 30_000 }, 200_000, false).recommendation).toBe('compress');
    expect(adviseContext(150_000, { material: 20_000, dialogue: 130_000 }, 200_000, false).recommendation).toBe('summarize');
    expect(adviseContext(190_000, { material: 10_000, dialogue: 180_000 }, 200_000, false).recommendation).toBe('clear');
    expect(adviseContext(60_000, { material: 60_000, dialogue: 0 }, 200_000, true).recommendation).toBe('clear');
  });

  it('resolves the window from the argument, the model, or the default', () => {
    expect(resolveWindow('gpt-4', null).window).toBe(8192);
    expect(resolveWindow('gpt-4', 32_000).window).toBe(32_000);
    expect(resolveWindow(null, null).window).toBe(200_000);
  });
});

describe('prompt cache', () => {
  const staticText = 'You are a careful reviewer. Follow the house style guide strictly. '.repeat(120);

  it('audit scores a static prompt high and one with an early timestamp low', () => {
    const good = auditCache(staticText + '\nUser question follows.', 'anthropic');
    expect(good.cache_friendly).toBe(true);
    expect(good.score).toBeGreaterThan(0.9);
    const bad = auditCache('Current time: 2026-05-01T10:00:00Z\n' + staticText, 'anthropic');
    expect(bad.cache_friendly).toBe(false);
    expect(bad.score).toBeLessThan(good.score);
    expect(bad.dynamic_content[0]).toMatchObject({ kind: 'ISO timestamp', line: 1 });
    expect(bad.recommendations.join(' ')).toContain('Move per-call content');
    expect(auditCache('short prompt', 'openai').cache_friendly).toBe(false);
  });

  it('plan moves static parts first, keeps turn order, and places Anthropic breakpoints', () => {
    const plan = planPromptCache(
      [
        { name: 'q1', role: 'user', content: 'First question?' },
        { name: 'sys', role: 'system', content: staticText },
        { name: 'now', content: 'Request id: 7f3e, time 2026-05-01 10:00' },
        { name: 'docs', role: 'documents', content: staticText },
        { name: 'q2', role: 'user', content: 'Second question?' },
      ],
      'anthropic',
    );
    expect(plan.order).toEqual([1, 3, 0, 2, 4]);
    expect(plan.breakpoints.map((b) => b.after_part)).toContain(3);
    expect(plan.breakpoints.length).toBeLessThanOrEqual(4);
    expect(plan.cacheable_prefix_tokens).toBeGreaterThan(1024);
    const oa = planPromptCache([{ role: 'system', content: staticText }], 'openai');
    expect(oa.breakpoints).toEqual([]);
    expect(oa.cacheable_prefix_tokens % 128).toBe(0);
  });
});
