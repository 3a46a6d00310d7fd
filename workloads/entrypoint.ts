// The workload image's entry point: `producer`, `consumer`, `migrate` or `partitions`
// (the container's args, as the operator renders them). `--help` lists them.
const COMMANDS: Record<string, { module: string; help: string }> = {
  producer: { module: './producer/main.js', help: 'the Producer API (port 8000)' },
  consumer: { module: './consumer/main.js', help: 'a consumer of ENABLED_TOPICS in KAFKA_CONSUMER_GROUP' },
  migrate: { module: './jobs/migrate.js', help: 'create tables, partitions, collections and indexes (idempotent)' },
  partitions: { module: './jobs/partitions.js', help: 'create upcoming daily partitions, drop those past retention' },
};

const [command, ...rest] = process.argv.slice(2);
const entry = command ? COMMANDS[command] : undefined;
if (!entry) {
  const usage = `usage: <image> ${Object.keys(COMMANDS).join('|')} [--help]\n${Object.entries(COMMANDS)
    .map(([k, v]) => `  ${k.padEnd(11)} ${v.help}`)
    .join('\n')}\n`;
  if (command === '--help' || command === 'help') process.stdout.write(usage);
  else {
    process.stderr.write(`${command ? `unknown command "${command}"\n` : ''}${usage}`);
    process.exitCode = 2;
  }
} else {
  // The command modules read process.argv for --help; drop the command word.
  process.argv = [process.argv[0]!, process.argv[1]!, ...rest];
  await import(entry.module);
}
