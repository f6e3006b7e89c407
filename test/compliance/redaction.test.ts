import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactPii } from '../../src/domain/redaction.js';

describe('PII redaction', () => {
  it('replaces emails, phone numbers and IP addresses as people and logs write them', () => {
    const cases: [string, string][] = [
      ['mail a.b+c@example.co.uk now', 'mail [redacted-email] now'],
      ['call +1 415 555 2671, (415) 555-2671, 415-555-2671 or 555 123 4567', 'call [redacted-phone], [redacted-phone], [redacted-phone] or [redacted-phone]'],
      ['+442071838750', '[redacted-phone]'],
      ['from 10.0.0.1, 2001:db8::1 and ::1', 'from [redacted-ip], [redacted-ip] and [redacted-ip]'],
      ['dual-stack client ::ffff:10.0.0.1 seen', 'dual-stack client [redacted-ip] seen'],
      ['the end is 2001:db8::1.', 'the end is [redacted-ip].'],
    ];
    for (const [text, want] of cases) assert.equal(redactPii(text), want, text);
  });

  it('leaves timestamps, versions, ids and hashes alone', () => {
    for (const text of [
      '2026-06-01T12:00:00.000Z',
      'at 12:00:00 on 2026-06-01',
      'version 1.2.3 and 999.1.1.1',
      'usr_01HX seq 12345678901',
      'sha 3a7bd3e2360a3d29eea436fcfb7e44c735d117c4',
    ]) {
      assert.equal(redactPii(text), text);
    }
  });
});
