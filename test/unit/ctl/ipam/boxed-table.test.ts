import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderBoxedTable } from '../../../../src/ctl/printers/boxed-table.js';

describe('go-pretty default (boxed) table', () => {
  it('draws borders, upper-cases the header and right-aligns configured data columns', () => {
    const out = renderBoxedTable({
      header: ['grouping', 'CIDR', 'IPS TOTAL', 'IPS IN USE'],
      rows: [
        ['IP Pool', '10.65.0.0/16', '65536', '5 (0%)'],
        ['Block', '10.65.0.0/26', '64', '5 (8%)'],
      ],
      alignRight: [2, 3],
    });
    assert.equal(
      out,
      [
        '+----------+--------------+-----------+------------+',
        '| GROUPING | CIDR         | IPS TOTAL | IPS IN USE |',
        '+----------+--------------+-----------+------------+',
        '| IP Pool  | 10.65.0.0/16 |     65536 |     5 (0%) |',
        '| Block    | 10.65.0.0/26 |        64 |     5 (8%) |',
        '+----------+--------------+-----------+------------+',
        '',
      ].join('\n'),
    );
  });
  it('keeps the header left-aligned when data cells are wider', () => {
    const out = renderBoxedTable({ header: ['N'], rows: [['12345']], alignRight: [0] });
    assert.equal(out, '+-------+\n| N     |\n+-------+\n| 12345 |\n+-------+\n');
  });
  it('an empty table prints the header and two borders', () => {
    const out = renderBoxedTable({ header: ['IP', 'BLOCK'], rows: [] });
    assert.equal(out, '+----+-------+\n| IP | BLOCK |\n+----+-------+\n+----+-------+\n');
  });
  it('pads empty cells', () => {
    const out = renderBoxedTable({ header: ['A', 'B'], rows: [['x', '']] });
    assert.equal(out, '+---+---+\n| A | B |\n+---+---+\n| x |   |\n+---+---+\n');
  });
});
