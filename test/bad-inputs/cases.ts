/**
 * The bad-input family: inputs generated from valid ones by one mutation each, with what a clear
 * answer must name. Every case is one file the user hands to a command; `where` is the pattern the
 * error must carry (file, and line where one exists), so "clear" means located, not just non-zero.
 */

export type Surface = 'rubric' | 'score-input' | 'run-config' | 'judge-config';

export interface BadInput {
  /** Which command or loader reads it. */
  surface: Surface;
  /** The class of mistake, for the report. */
  kind: string;
  name: string;
  /** The file's content. */
  content: string | Buffer;
  /** What the single error line must contain: the file name and line (or the field). */
  where: RegExp;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const at = (file: string, line?: number) =>
  new RegExp(`${esc(file)}${line === undefined ? '' : `:${line}\\b`}`);

// ---------------------------------------------------------------------------------------------- rubrics

const RUBRIC_HEAD = ['id: gen', 'version: 1', 'title: Generated', 'scope: task', 'criteria:'];
const criterion = (fields: Record<string, string>) =>
  `  - { ${Object.entries({
    id: 'c1',
    description: 'd',
    weight: '1',
    passFail: 'true',
    evaluator: '{ type: verifier, name: defence.self-praise }',
    ...fields,
  })
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')} }`;
const rubric = (...criteria: string[]) => `${[...RUBRIC_HEAD, ...criteria].join('\n')}\n`;
const regexCriterion = (pattern: string) =>
  criterion({ evaluator: `{ type: verifier, name: text.regex, params: { pattern: '${pattern}' } }` });

function rubricCases(): BadInput[] {
  const out: BadInput[] = [];
  const add = (kind: string, name: string, content: string | Buffer, line?: number) =>
    out.push({ surface: 'rubric', kind, name, content, where: at(`${name}.yaml`, line) });

  add('empty', 'empty', '', 1);
  add('empty', 'comments-only', '# nothing\n# here\n', 1);
  add('empty', 'document-markers-only', '---\n---\n', 1);
  // Patterns RE2 cannot run in linear time, or cannot parse.
  const patterns = [
    '(?=a)b',
    'a(?!b)',
    '(?<=a)b',
    '(?<!a)b',
    '(a)\\1',
    '(?<n>a)\\k<n>',
    '(unclosed',
    'a{1001}',
    '[z-a]',
    '*a',
  ];
  patterns.forEach((p, i) => {
    add('regex', `regex-${i}`, rubric(regexCriterion(p)), 6);
  });
  // Control characters and bidi overrides in every text field.
  const controls = ['\\a', '\\0', '\\e', '\\x7f', '\\x85', '\\u202e', '\\u2066'];
  controls.forEach((c, i) => {
    add(
      'control',
      `control-title-${i}`,
      rubric(criterion({})).replace('title: Generated', `title: "bad${c}"`),
      3,
    );
    add('control', `control-description-${i}`, rubric(criterion({ description: `"bad${c}"` })), 6);
    add(
      'control',
      `control-tier-${i}`,
      rubric(
        criterion({
          passFail: 'false',
          tiers: `[{ score: 0, label: "no${c}" }, { score: 1, label: yes }]`,
        }).replace('passFail: false, ', ''),
      ),
      6,
    );
  });
  // Weights that can never score or overflow.
  add(
    'weights',
    'only-penalties',
    rubric(criterion({ weight: '-1' }), criterion({ id: 'c2', weight: '-2' })),
    5,
  );
  add(
    'weights',
    'overflow',
    rubric(criterion({ weight: '1e308' }), criterion({ id: 'c2', weight: '1e308' })),
    7,
  );
  add(
    'weights',
    'overflow-negative',
    rubric(
      criterion({ weight: '1' }),
      criterion({ id: 'c2', weight: '-1.7e308' }),
      criterion({ id: 'c3', weight: '-1.7e308' }),
    ),
    8,
  );
  add('weights', 'zero', rubric(criterion({ weight: '0' })), 6);
  add('weights', 'infinite', rubric(criterion({ weight: '.inf' })), 6);
  add('weights', 'nan', rubric(criterion({ weight: '.nan' })), 6);
  add('weights', 'string', rubric(criterion({ weight: 'heavy' })), 6);
  // Invalid UTF-8 at different places.
  const badBytes = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80]];
  badBytes.forEach((bytes, i) => {
    const text = rubric(criterion({ description: 'XX' }));
    const [before, after] = text.split('XX') as [string, string];
    add(
      'utf-8',
      `utf8-${i}`,
      Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]),
      6,
    );
  });
  // Alias bombs of growing depth.
  for (const depth of [4, 6, 9]) {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let d = 1; d < depth; d++)
      lines.push(
        `a${d}: &a${d} [${Array(9)
          .fill(`*a${d - 1}`)
          .join(', ')}]`,
      );
    add('alias-bomb', `bomb-${depth}`, `${lines.join('\n')}\n`, 1);
  }
  // Structure.
  add(
    'structure',
    'unknown-key',
    rubric(criterion({})).replace('scope: task', 'scope: task\ncolour: blue'),
    5,
  );
  add(
    'structure',
    'unknown-verifier',
    rubric(criterion({ evaluator: '{ type: verifier, name: no.such }' })),
    6,
  );
  add('structure', 'no-criteria', `${RUBRIC_HEAD.slice(0, 4).join('\n')}\n`, 1);
  add('structure', 'duplicate-criterion', rubric(criterion({}), criterion({})), 7);
  add(
    'structure',
    'include-missing',
    rubric(criterion({})).replace('scope: task', 'scope: task\ninclude: [nowhere]'),
    5,
  );
  add('structure', 'bad-yaml', rubric(criterion({})).replace('title: Generated', 'title: [unclosed'), 4);
  add('structure', 'not-a-mapping', '- just\n- a list\n', 1);
  return out;
}

// ------------------------------------------------------------------------------------ score --input

function scoreInputCases(): BadInput[] {
  const good = JSON.stringify({ rubric: 'gen-ok', prompt: 'p', response: 'r' });
  const out: BadInput[] = [];
  const add = (kind: string, name: string, content: string | Buffer, line?: number) =>
    out.push({ surface: 'score-input', kind, name, content, where: at(`${name}.jsonl`, line) });
  add('empty', 'empty', '');
  add('empty', 'blank-lines', '\n\n   \n');
  for (const line of [1, 2, 4]) {
    const lines = Array(4).fill(good) as string[];
    const put = (bad: string) => `${lines.map((l, i) => (i === line - 1 ? bad : l)).join('\n')}\n`;
    add('json', `not-json-${line}`, put('{"rubric": "gen-ok", '), line);
    add('schema', `missing-response-${line}`, put(JSON.stringify({ rubric: 'gen-ok', prompt: 'p' })), line);
    add(
      'schema',
      `wrong-type-${line}`,
      put(JSON.stringify({ rubric: 'gen-ok', prompt: 1, response: 'r' })),
      line,
    );
    add(
      'schema',
      `unknown-field-${line}`,
      put(JSON.stringify({ rubric: 'gen-ok', prompt: 'p', response: 'r', extra: 1 })),
      line,
    );
    add(
      'rubric',
      `unknown-rubric-${line}`,
      put(JSON.stringify({ rubric: 'no/such', prompt: 'p', response: 'r' })),
      line,
    );
    const [before, after] = put('{"rubric":"gen-ok","prompt":"XX","response":"r"}').split('XX') as [
      string,
      string,
    ];
    add(
      'utf-8',
      `utf8-${line}`,
      Buffer.concat([Buffer.from(before), Buffer.from([0xfe]), Buffer.from(after)]),
      line,
    );
  }
  return out;
}

// ------------------------------------------------------------------------------------- run configs

function runConfigCases(): BadInput[] {
  const out: BadInput[] = [];
  const add = (kind: string, name: string, content: string | Buffer, line: number) =>
    out.push({ surface: 'run-config', kind, name, content, where: at(`${name}.yaml`, line) });
  const model = 'model:\n  path: fake.gguf\n';
  add('model', 'model-text-file', 'model:\n  path: notes.txt\n', 2);
  add('model', 'model-html', 'model:\n  path: html.gguf\n', 2);
  add('model', 'model-empty-file', 'model:\n  path: empty.gguf\n', 2);
  add('model', 'model-missing', 'model:\n  path: nowhere.gguf\n', 2);
  add('model', 'model-folder-without-config', 'model:\n  path: empty-folder\n', 2);
  add('store', 'store-is-file', `${model}store:\n  path: notes.txt\n`, 4);
  add('store', 'store-under-file', `${model}store:\n  path: notes.txt/store\n`, 4);
  for (const steps of ['0', '-5', '1e12', '2.5', '"many"'])
    add('steps', `steps-${steps.replace(/\W/g, '')}`, `${model}steps: ${steps}\n`, 3);
  add('steps', 'stage-steps-huge', `${model}stages:\n  - { name: a, steps: 999999999 }\n`, 4);
  add('judge', 'judge-missing', `${model}judge:\n  config: no-such-judge.yaml\n`, 4);
  add('judge', 'judge-empty', `${model}judge:\n  config: empty-judge.yaml\n`, 4);
  add(
    'utf-8',
    'config-utf8',
    Buffer.concat([Buffer.from(`${model}name: r`), Buffer.from([0xff]), Buffer.from('\n')]),
    3,
  );
  add(
    'alias-bomb',
    'config-bomb',
    'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
    1,
  );
  add('structure', 'config-unknown-key', `${model}stepz: 3\n`, 3);
  return out;
}

// ----------------------------------------------------------------------------------- judge configs

function judgeConfigCases(): BadInput[] {
  const out: BadInput[] = [];
  const base = 'baseUrl: http://127.0.0.1:8000/v1\nmodel: m\ncacheDir: cache\n';
  const add = (kind: string, name: string, content: string | Buffer, line?: number) =>
    out.push({ surface: 'judge-config', kind, name, content, where: at(`${name}.yaml`, line) });
  add('empty', 'judge-empty', '');
  add('url', 'judge-url-credentials', base.replace('http://', 'http://user:pass@'), 1);
  add('url', 'judge-url-scheme', base.replace('http://', 'file://'), 1);
  add('secret', 'judge-header-key', `${base}extraHeaders: { Authorization: Bearer sk-123 }\n`, 4);
  add('bounds', 'judge-reply-limit', `${base}maxReplyBytes: 10\n`, 4);
  add('bounds', 'judge-concurrency', `${base}concurrency: 0\n`, 4);
  add('structure', 'judge-unknown-key', `${base}apiKey: sk-in-the-file\n`, 4);
  add(
    'utf-8',
    'judge-utf8',
    Buffer.concat([Buffer.from(`${base}model: m`), Buffer.from([0xc3]), Buffer.from('\n')]),
    4,
  );
  return out;
}

/** Every generated bad input. */
export function badInputs(): BadInput[] {
  return [...rubricCases(), ...scoreInputCases(), ...runConfigCases(), ...judgeConfigCases()];
}
