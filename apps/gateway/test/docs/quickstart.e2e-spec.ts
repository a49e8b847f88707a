import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { closeTestPrisma, createTestKey, RunningGateway, startGateway } from '@flowsmith/testing';
import { createGateway } from '../../src/gateway';
import { shellLines } from './markdown';

const run = promisify(execFile);
const STATUS = /^HTTP_STATUS (\d{3})$/m;

/**
 * docs/quickstart.md's curl lines, run as written by bash and the real curl, in order, against a live
 * gateway: `$FLOWSMITH_URL` and `$KEY` are this gateway and a fresh key, and `$<OBJECT>_ID` is the
 * `id` of the last answer whose `object` was <object> (the page tells the reader to keep it, as
 * `DIAGRAM_ID=…`). Each must exit 0 with a 2xx status (a .curlrc writes it to stderr) and write the
 * file it names with `-o`.
 */
describe('docs/quickstart.md', () => {
  let gateway: RunningGateway;
  let folder: string;

  beforeAll(async () => {
    gateway = await startGateway(createGateway);
    folder = mkdtempSync(join(tmpdir(), 'flowsmith-quickstart-'));
    writeFileSync(join(folder, '.curlrc'), 'write-out = "%{stderr}HTTP_STATUS %{http_code}\\n"\n');
  });
  afterAll(async () => {
    await gateway.close();
    await closeTestPrisma();
    rmSync(folder, { recursive: true, force: true });
  });

  it('runs every curl line of the page with a 2xx answer', async () => {
    const lines = shellLines(readFileSync(join(__dirname, '../../../../docs/quickstart.md'), 'utf8')).filter((line) => /^curl\s/.test(line));
    expect(lines.length).toBeGreaterThanOrEqual(8);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: folder, CURL_HOME: folder, FLOWSMITH_URL: gateway.url, KEY: (await createTestKey()).secret };

    for (const line of lines) {
      const { stdout, stderr, code } = await run('bash', ['--norc', '--noprofile', '-uc', line], { cwd: folder, env, maxBuffer: 64 * 1024 * 1024 }).then(
        (result) => ({ ...result, code: 0 }),
        (error: { stdout: string; stderr: string; code: number }) => ({ stdout: error.stdout, stderr: error.stderr, code: error.code }),
      );
      const status = STATUS.exec(stderr)?.[1];
      expect({ line, code, status, stderr: stderr.replace(STATUS, '').trim(), answer: code ? stdout.slice(0, 500) : '' }).toEqual({ line, code: 0, status: expect.stringMatching(/^2\d\d$/), stderr: '', answer: '' });
      const output = / -o (\S+)/.exec(line)?.[1];
      if (output) expect({ line, written: existsSync(join(folder, output)) && statSync(join(folder, output)).size > 0 }).toEqual({ line, written: true });
      else {
        const answer = JSON.parse(stdout) as { object?: string; id?: string };
        if (answer.object && answer.id) env[`${answer.object.toUpperCase()}_ID`] = answer.id;
      }
    }
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['DIAGRAM_ID', 'SHARE_ID', 'GENERATION_ID']));
  });
});
