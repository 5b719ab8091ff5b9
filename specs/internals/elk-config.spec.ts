import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { pino } from 'pino';
import { expect, test } from '../../fixtures/index.ts';

const simulated = { tag: '@simulated' };
const pipeline = () => fs.readFileSync('elk/logstash/pipeline/logstash.conf', 'utf8');

/** `docker compose` (v2) or `docker-compose` (v1), whichever is here. */
function composeCommand(): string[] | undefined {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    if (spawnSync(command[0]!, [...command.slice(1), 'version'], { stdio: 'ignore' }).status === 0) return command;
  }
  return undefined;
}

test.describe('ELK stack', () => {
  test('docker-compose.yml validates and publishes logstash on 5533 and kibana on 5601', simulated, () => {
    const compose = composeCommand();
    test.skip(!compose, 'neither `docker compose` nor `docker-compose` is installed here');
    const out = execFileSync(compose![0]!, [...compose!.slice(1), 'config'], { encoding: 'utf8' });
    expect(out).toMatch(/published: "?5533"?|5533:5533/);
    expect(out).toMatch(/published: "?5601"?|5601:5601/);
    for (const service of ['elasticsearch', 'logstash', 'kibana']) expect(out).toContain(`${service}:`);
  });

  test('the logstash pipeline reads json_lines over TCP on 5533 and takes pino\'s time as @timestamp', simulated, () => {
    const conf = pipeline();
    expect(conf).toMatch(/tcp\s*\{[^}]*port\s*=>\s*5533[^}]*codec\s*=>\s*json_lines[^}]*\}/s);
    expect(conf).toMatch(/date\s*\{[^}]*match\s*=>\s*\["time",\s*"UNIX_MS"\]/s);
    expect(conf).toMatch(/index\s*=>\s*"distzero-%\{\+YYYY\.MM\.dd\}"/);
  });

  test('what pino ships is what json_lines and the date filter expect: one object per line, time in ms, msg', simulated, () => {
    const chunks: string[] = [];
    const logger = pino({ base: { machine_name: 'hub' }, timestamp: pino.stdTimeFunctions.epochTime }, { write: (s: string) => void chunks.push(s) });
    logger.info({ node_id: 'sum-1' }, 'first');
    logger.warn('second\nwith a newline inside');
    const text = chunks.join('');
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(typeof record.time).toBe('number');
      expect(Math.abs((record.time as number) - Date.now())).toBeLessThan(60_000);
      expect(typeof record.msg).toBe('string');
      expect(record.machine_name).toBe('hub');
    }
  });

  test('LogTrail shows machine name as the host and the message, over the pipeline\'s index', simulated, () => {
    const config = JSON.parse(fs.readFileSync('elk/kibana/config/logtrail.json', 'utf8')) as {
      index_patterns: { es: { default_index: string }; fields: { mapping: Record<string, string> } }[];
    };
    const pattern = config.index_patterns[0]!;
    expect(pattern.fields.mapping).toMatchObject({ hostname: 'machine_name', message: 'msg', timestamp: '@timestamp' });
    expect(pattern.es.default_index).toBe('distzero-*');
    const kibana = fs.readFileSync('elk/kibana/Dockerfile', 'utf8');
    const version = /kibana:(\d+\.\d+\.\d+)/.exec(kibana)?.[1];
    expect(kibana).toContain(`logtrail-${version}-0.1.31.zip`);
  });
});
