import { DEFAULT_ALLOW_PROFILE } from '../../api/index.js';
import { AlreadyExistsError, OperationNotSupportedError } from '../../errors/index.js';
import type { KindRules } from './kind-rules.js';

const NAME = DEFAULT_ALLOW_PROFILE.metadata.name!;

/** `projectcalico-default-allow` is synthetic: readable, never stored, never changed. */
export const profileRules: KindRules = {
  async beforeCreate(_client, r) {
    if (r.metadata.name === NAME) throw new AlreadyExistsError({ kind: 'Profile', name: NAME });
  },
  async beforeUpdate(_client, _current, r) {
    if (r.metadata.name === NAME)
      throw new OperationNotSupportedError('Update', NAME, 'the profile is read-only');
  },
  async beforeDelete(_client, current, rv) {
    if (current.metadata.name === NAME)
      throw new OperationNotSupportedError('Delete', NAME, 'the profile is read-only');
    return rv;
  },
  synthetic: (name) => (name === NAME ? structuredClone(DEFAULT_ALLOW_PROFILE) : undefined),
  syntheticList: (options) =>
    options.namePrefix === undefined || NAME.startsWith(options.namePrefix)
      ? [structuredClone(DEFAULT_ALLOW_PROFILE)]
      : [],
};
