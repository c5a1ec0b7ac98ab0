/** nft's error report from `nft -i`, shortened to the error and the text around its carets. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeNftErrors } from '../../../../src/felix/dataplane/policy/nft-session.js';

describe('describeNftErrors', () => {
  it('keeps each error with the input around its carets', () => {
    const line = `${'add rule ip calico c tcp dport 1 accept; '.repeat(50)}add rule ip calico nochain accept`;
    const at = line.indexOf('nochain');
    const stderr = [
      'Error: Could not process rule: No such file or directory',
      line,
      `${' '.repeat(at)}^^^^^^^`,
      '',
    ].join('\n');
    const text = describeNftErrors(stderr);
    assert.match(text, /^Error: Could not process rule: No such file or directory: …/);
    assert.match(text, /add rule ip calico nochain accept$/);
    assert.ok(text.length < 300, 'not the whole line');
  });

  it('joins several errors; text without an Error line is kept as it is', () => {
    const stderr = 'Error: syntax error, unexpected newline\nfoo\n   ^\nError: bad\nbar baz\n    ^^^\n';
    assert.equal(
      describeNftErrors(stderr),
      'Error: syntax error, unexpected newline: foo; Error: bad: bar baz',
    );
    assert.equal(describeNftErrors('  something odd\n'), 'something odd');
  });
});
