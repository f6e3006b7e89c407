import assert from 'node:assert/strict';
import { InvalidInput, type InputFault } from '../../src/domain/errors.js';

/** Asserts that fn throws InvalidInput of this fault (the scimType the face will answer), and its message. */
export function rejects(fn: () => unknown, fault: InputFault, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidInput, `expected InvalidInput, got ${e}`);
    assert.equal(e.fault, fault, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}
