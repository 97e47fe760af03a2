// `ctxgate keys create|list|revoke`: key management on the data dir, no server needed.
import { parseArgs } from 'node:util';
import { PLANS, type Config, type Plan } from '../config.js';
import { AppError } from '../errors.js';
import { createLogger } from '../log.js';
import { AccountsService } from '../services/accounts.js';
import { KeysService } from '../services/keys.js';
import { fail, openWithSecretCheck } from './common.js';

export async function keysCmd(config: Config, argv: string[], usage: string): Promise<void> {
  const [sub, ...rest] = argv;
  const log = createLogger('silent', 'stderr');
  const app = await openWithSecretCheck(config, log);
  const keys = app.deps.service(KeysService);
  const accounts = app.deps.service(AccountsService);
  try {
    if (sub === 'create') {
      const { values } = parseArgs({
        args: rest,
        options: { name: { type: 'string' }, plan: { type: 'string' }, project: { type: 'string' }, user: { type: 'string' } },
        strict: true,
      });
      if (!values.name) fail('keys create needs --name NAME');
      const plan = (values.plan ?? 'free') as Plan;
      if (!PLANS.includes(plan)) fail(`--plan must be one of ${PLANS.join(', ')}`);
      let ownerId: string;
      let projectId: string | null = null;
      if (values.project) {
        const p = await accounts.findProjectAnyOwner(values.project);
        if (!p) fail(`no project with id ${values.project}`);
        ownerId = p.owner_id;
        projectId = p.id;
        if (values.user && values.user !== ownerId) fail(`project ${values.project} does not belong to user ${values.user}`);
      } else if (values.user === 'new') {
        ownerId = (await accounts.createUser(values.name)).user.id;
      } else if (values.user) {
        ownerId = (await accounts.getUser(values.user)).id;
      } else {
        ownerId = (await accounts.owner()).user.id;
      }
      const created = await keys.create({ name: values.name, plan, ownerId, projectId });
      process.stdout.write(JSON.stringify(created) + '\n');
    } else if (sub === 'list') {
      process.stdout.write(JSON.stringify(await keys.list(), null, 2) + '\n');
    } else if (sub === 'revoke') {
      if (!rest[0]) fail('keys revoke needs a KEY_ID (see: ctxgate keys list)');
      process.stdout.write(JSON.stringify(await keys.revoke(rest[0])) + '\n');
    } else {
      fail(`unknown keys command "${sub ?? ''}"\n\n${usage}`);
    }
  } catch (e) {
    if (e instanceof AppError) fail(e.message);
    if (e instanceof TypeError && /Unknown option|unexpected argument/i.test(e.message)) fail(e.message);
    throw e;
  } finally {
    await app.close();
  }
}
