import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempState } from '../../../test/support/state.js';
import { StateError } from '../../core/errors.js';
import { readProduction, writeProduction } from './state.js';

describe('production state file', () => {
  it('reads back what was written', () => {
    const paths = tempState();
    writeProduction(paths, {
      mode: 'managed',
      config: { max_num_seqs: 8 },
      last_healthy_config: { max_num_seqs: 8 },
      status: 'healthy',
      port: 8000,
      updated_at: 1,
    });
    expect(readProduction(paths)?.config).toEqual({ max_num_seqs: 8 });
  });

  it('an unreadable file is a state error naming the file', () => {
    const paths = tempState();
    mkdirSync(dirname(paths.productionFile()), { recursive: true });
    writeFileSync(paths.productionFile(), '{');
    expect(() => readProduction(paths)).toThrow(StateError);
    expect(() => readProduction(paths)).toThrow(/production: .*current\.json is not valid JSON/);
  });
});
