import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ContinuityError } from '../../errors/registry.ts';
import { loadCatalog } from '../../schemas/index.ts';
import { generateToken, parseTokens, SCOPES, sha256Hex, type TokenEntry } from '../../service/auth/index.ts';

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

function isYaml(file: string) {
  return /\.ya?ml$/i.test(file);
}

function readEntries(file: string): TokenEntry[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  parseTokens(text, file); // refuse to edit a file the service would refuse
  return (parseYaml(text) as TokenEntry[] | null) ?? [];
}

/** Writes aside and renames, so the service (which watches the file) never reads half of it. */
function writeEntries(file: string, entries: TokenEntry[]) {
  const text = isYaml(file) ? toYaml(entries) : `[\n${entries.map((e) => `  ${JSON.stringify(e)}`).join(',\n')}\n]\n`;
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o644 });
  renameSync(temp, file);
}

export function register(program: Command) {
  const tokens = program.command('tokens').description('bearer tokens of producers (ingest) and analysts (sql); the service keeps only their SHA-256');

  tokens
    .command('create')
    .description('make a random token, print it once, and the entry (hash only) for the tokens file')
    .requiredOption('--name <name>', 'who holds it, e.g. sgcc-billing (letters, digits, . _ @ -)')
    .option('--org <org>', 'an org whose events it may submit; repeat or comma-separate; * for any (required for ingest)', collect)
    .addOption(new Option('--scope <scope>', 'ingest (POST /v1/events), sql (POST /v1/sql) or operate (replays, offsets, dead letters); repeat for several').choices([...SCOPES]).argParser(collect as never))
    .option('--file <file>', 'also add the entry to this tokens file (JSON, or YAML if it ends in .yaml/.yml; created if missing)')
    .action((flags: { name: string; org?: string[]; scope?: string[]; file?: string }) => {
      const scopes = [...new Set(flags.scope ?? ['ingest'])] as TokenEntry['scopes'];
      const token = generateToken();
      const entry: TokenEntry = { name: flags.name, sha256: sha256Hex(token), ...(flags.org ? { orgs: [...new Set(flags.org)] } : {}), scopes };
      // Checked as the service will check it: name, orgs against the catalog, ingest needs orgs.
      parseTokens(JSON.stringify([entry]), 'the new entry', new Set(loadCatalog({ extraOrgsFile: process.env.CONTINUITY_ORG_CATALOG || undefined }).orgCodes));
      if (flags.file) {
        const entries = readEntries(flags.file);
        if (entries.some((e) => e.name === entry.name)) {
          throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `${flags.file} already has a token named ${JSON.stringify(entry.name)}; revoke it first (continuity tokens revoke --name ${entry.name} --file ${flags.file})`);
        }
        writeEntries(flags.file, [...entries, entry]);
      }
      console.log(`Token for ${entry.name} (shown once; hand it to its holder as a secret, it is not stored anywhere):`);
      console.log(token);
      if (flags.file) console.log(`\nAdded to ${flags.file}; a running service picks it up within a second.`);
      else console.log(`\nAdd this entry to the tokens file (--tokens FILE or CONTINUITY_TOKENS_FILE):\n${JSON.stringify(entry)}`);
      console.log(`Producers send it as: Authorization: Bearer <token>`);
    });

  tokens
    .command('revoke')
    .description('remove a token from the tokens file; a running service refuses it within a second, without a restart')
    .requiredOption('--name <name>', 'the token to remove')
    .requiredOption('--file <file>', 'the tokens file')
    .action((flags: { name: string; file: string }) => {
      const entries = readEntries(flags.file);
      const kept = entries.filter((e) => e.name !== flags.name);
      if (kept.length === entries.length) throw new ContinuityError('CONT_ERR_NOT_FOUND', `${flags.file} has no token named ${JSON.stringify(flags.name)}`);
      writeEntries(flags.file, kept);
      console.log(`Revoked ${flags.name}: removed from ${flags.file} (${kept.length} token(s) left).`);
    });

  tokens
    .command('list')
    .description('list the tokens of a tokens file: name, scopes, orgs (never the hashes)')
    .requiredOption('--file <file>', 'the tokens file')
    .action((flags: { file: string }) => {
      for (const e of readEntries(flags.file)) {
        console.log(`${e.name}\t${(e.scopes ?? ['ingest']).join(',')}\t${(e.orgs ?? []).join(',') || '-'}`);
      }
    });
}
