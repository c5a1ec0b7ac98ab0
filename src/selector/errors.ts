import { CalicoError } from '../errors/index.js';

/**
 * A selector that does not parse. `reason` uses Calico's words (so messages look familiar to Calico
 * users); `position` is the 0-based offset in `selector` where the tokenizer or parser gave up.
 */
export class SelectorParseError extends CalicoError {
  constructor(
    readonly selector: string,
    readonly position: number,
    readonly reason: string,
    hint?: string,
  ) {
    super(
      'SELECTOR_PARSE',
      `invalid selector ${JSON.stringify(selector)}: ${reason} at position ${position}`,
      hint ?? 'see the selector syntax in the NetworkPolicy reference, e.g. app == "web" && has(tier)',
    );
    this.name = 'SelectorParseError';
  }
}
