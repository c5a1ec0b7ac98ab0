import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderTable } from '../../../src/ctl/printers/tabwriter.js';

describe('tabwriter layout', () => {
  it('pads every cell to the widest text + 3, at least 5, trailing cell included', () => {
    assert.equal(
      renderTable([
        ['NAME', 'CIDR'],
        ['ippool-name1', '10.0.1.0/24'],
      ]),
      'NAME           CIDR          \nippool-name1   10.0.1.0/24   \n',
    );
  });
  it('uses the minimum width 5 for short columns', () => {
    assert.equal(renderTable([['A'], ['b']]), 'A    \nb    \n');
  });
});
