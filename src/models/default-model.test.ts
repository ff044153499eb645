import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_MODEL_FILE, defaultModelPath, requireDefaultModel } from './default-model.ts';

describe('default model path', () => {
  it('lives in .cache/models of the repository unless ANCHORAGE_MODEL says otherwise', () => {
    const path = defaultModelPath({ env: {} });
    assert.ok(path.endsWith(`/.cache/models/${DEFAULT_MODEL_FILE}`), path);
    assert.equal(defaultModelPath({ env: { ANCHORAGE_MODEL: '/models/x.gguf' } }), '/models/x.gguf');
    assert.equal(defaultModelPath({ env: { ANCHORAGE_MODEL: 'rel/x.gguf' } }), resolve('rel/x.gguf'));
  });

  it('tells the user to run the setup script when the file is missing', () => {
    assert.throws(() => requireDefaultModel({ env: { ANCHORAGE_MODEL: '/nonexistent/m.gguf' } }), {
      message: '/nonexistent/m.gguf: model file not found: ANCHORAGE_MODEL names a file that does not exist',
    });
  });
});
