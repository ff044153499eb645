import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { prepareRun } from './check.ts';
import { parseRunConfig } from './load.ts';
import { checkModelPath, checkStorePath } from './path-checks.ts';

const dir = mkdtempSync(join(tmpdir(), 'path-checks-'));
const env = { ...process.env, ANCHORAGE_DATA_DIR: join(dir, 'data') };
const location = { file: 'run.yaml', line: 3, field: 'model.path' };

/** prepareRun on a configuration file written in the temporary folder; the error it throws. */
function prepareError(text: string): Error {
  const file = join(dir, 'run.yaml');
  writeFileSync(file, text);
  try {
    prepareRun({ loaded: parseRunConfig({ text, file, env }), env });
  } catch (err) {
    return err as Error;
  }
  assert.fail('prepareRun accepted the configuration');
}

describe('model path', () => {
  it('a file is a GGUF model only when it starts with the GGUF magic, whatever its name', () => {
    writeFileSync(join(dir, 'notes.gguf'), 'These are my notes, not a model.');
    writeFileSync(join(dir, 'empty.gguf'), '');
    writeFileSync(join(dir, 'model.bin'), Buffer.from('GGUF\x03\x00\x00\x00', 'latin1'));
    assert.throws(() => checkModelPath({ path: join(dir, 'notes.gguf'), location }), {
      message:
        /^run\.yaml:3, field model\.path: expected a GGUF model \(a file starting with "GGUF"\) or a Hugging Face folder, got a file starting with "Thes": /,
    });
    assert.throws(() => checkModelPath({ path: join(dir, 'empty.gguf'), location }), /got an empty file/);
    checkModelPath({ path: join(dir, 'model.bin'), location });
  });

  it('a folder needs config.json and safetensors weights', () => {
    const hf = join(dir, 'hf');
    mkdirSync(hf);
    assert.throws(() => checkModelPath({ path: hf, location }), /a folder without config\.json/);
    writeFileSync(join(hf, 'config.json'), '{}');
    assert.throws(() => checkModelPath({ path: hf, location }), /expected safetensors weights/);
    writeFileSync(join(hf, 'model.safetensors'), '');
    checkModelPath({ path: hf, location });
  });
});

describe('store path', () => {
  it('a file where the store folder should be, or on its way, is an error', () => {
    writeFileSync(join(dir, 'store-file'), 'x');
    const at = { file: 'run.yaml', line: 9, field: 'store.path' };
    assert.throws(() => checkStorePath({ path: join(dir, 'store-file'), location: at }), {
      message: /^run\.yaml:9, field store\.path: expected a folder for the store; the store path is a file: /,
    });
    assert.throws(
      () => checkStorePath({ path: join(dir, 'store-file', 'inner'), location: at }),
      /expected a folder for the store; .*store-file, on the store path, is a file/,
    );
    checkStorePath({ path: join(dir, 'not', 'yet', 'made'), location: at });
  });

  it('a folder that cannot be written is an error (unless running as root)', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const isRoot = process.getuid?.() === 0;
    const check = () => checkStorePath({ path: join(locked, 'store'), location });
    if (isRoot) check();
    else assert.throws(check, /expected a writable folder for the store; .*locked is not writable/);
  });
});

describe('train --config: checked before anything starts, named by file, line and field', () => {
  it('a model path that is not a model', () => {
    writeFileSync(join(dir, 'weights.gguf'), '<html>404 Not Found</html>');
    const err = prepareError('name: t\nmodel:\n  path: weights.gguf\n');
    assert.match(
      err.message,
      /run\.yaml:3, field model\.path: expected a GGUF model .* got a file starting with "<htm"/,
    );
  });

  it('a store path that is a file', () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const err = prepareError('name: t\nstore:\n  path: a-file\n');
    assert.match(
      err.message,
      /run\.yaml:3, field store\.path: expected a folder for the store; the store path is a file/,
    );
  });

  it('a judge config that does not exist', () => {
    const err = prepareError('name: t\njudge:\n  config: no-such-judge.yaml\n');
    assert.match(
      err.message,
      /run\.yaml:3, field judge\.config: judge config: .*no-such-judge\.yaml: cannot read judge config: no such file$/,
    );
  });

  it('absurd step counts', () => {
    const file = join(dir, 'steps.yaml');
    assert.throws(
      () => parseRunConfig({ text: 'steps: 1000000000\n', file, env }),
      /steps\.yaml:1, field steps: expected number to be <=1000000/,
    );
    assert.throws(
      () =>
        parseRunConfig({
          text: 'stages:\n  - { name: a, steps: 900000 }\n  - { name: b, steps: 900000 }\n',
          file,
          env,
        }),
      /steps\.yaml:2, field stages: expected stages whose steps add up to at most 1000000 \(they add up to 1800000\)/,
    );
  });
});
