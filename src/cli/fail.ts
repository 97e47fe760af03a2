// Failing a CLI command with a message (never a stack trace). Its own module, free of imports, so the
// lean entry points (`run`, `hook`) and src/cli.ts can use it without loading the app.
export function fail(message: string, code = 2): never {
  process.stderr.write(`ctxgate: ${message}\n`);
  process.exit(code);
}
