// A realistic debugging session (a flaky SQLite test) for the distill technical-facts test.
const PROSE = [
  'I looked at the job runner a bit more this morning and I think the structure of the code is mostly fine, although there are some places where the naming could be clearer and the comments are a little out of date compared with what the functions actually do now.',
  'It is also worth mentioning that the test suite has grown quite a lot over the last few weeks, and the machines we run it on are shared with other projects, so some slowness is expected and probably not related to anything we changed recently in this area.',
  'Another thing I noticed while reading through the history is that the lease logic was rewritten twice, once for the replicas work and once for the cancellation support, and each rewrite left a few small inconsistencies in how timeouts are computed and logged.',
];
export const DEBUG_SESSION = [
  { role: 'user', content: 'Hi! Quick one before the release. npm test fails with SQLITE_BUSY in test/store/jobs.test.ts about one run in five.' },
  { role: 'assistant', content: `Thanks for the report. ${PROSE[0]} ${PROSE[1]}` },
  { role: 'user', content: `${PROSE[2]} Anyway, it only happens on CI, never on my laptop, which makes it annoying to reproduce.` },
  { role: 'assistant', content: `${PROSE[1]} ${PROSE[0]} That said, two writers opening their own transactions at the same moment would explain it.` },
  { role: 'user', content: `${PROSE[0]} Could it be the second connection the cleanup hook opens?` },
  { role: 'assistant', content: `Yes, that is likely. ${PROSE[2]} We decided to route the cleanup through store.tx so that every writer takes its turn, and to set busy_timeout to 5000 as a safety net.` },
  { role: 'user', content: 'Sounds good, please do that and tell me when it is merged.' },
];
