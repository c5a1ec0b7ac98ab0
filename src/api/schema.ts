/**
 * A small description of the JSON shape of each kind, used for strict decoding (unknown fields and
 * wrong JSON types are decode errors, as in calicoctl's strict decoder) before validation runs.
 */
export type Schema = (
  | { t: 'string' }
  | { t: 'bool' }
  | { t: 'number' } // float64
  | { t: 'int' } // integer JSON number
  | { t: 'intOrString' } // numorstring: Port, ASNumber, Protocol
  | { t: 'any' } // opaque (status blobs, raw JSON)
  | { t: 'object'; fields: Record<string, Schema> }
  | { t: 'array'; items: Schema }
  | { t: 'map'; values: Schema } // free string keys
) & {
  /**
   * Go's `omitempty` on a non-pointer field: the encoders leave the field out when it holds its
   * zero value (false, 0, '', an empty list or map), as Calico's JSON and YAML output does.
   */
  omitZero?: boolean;
};

export const S = {
  string: { t: 'string' } as Schema,
  bool: { t: 'bool' } as Schema,
  number: { t: 'number' } as Schema,
  int: { t: 'int' } as Schema,
  intOrString: { t: 'intOrString' } as Schema,
  any: { t: 'any' } as Schema,
  object: (fields: Record<string, Schema>): Schema => ({ t: 'object', fields }),
  array: (items: Schema): Schema => ({ t: 'array', items }),
  map: (values: Schema): Schema => ({ t: 'map', values }),
  stringList: { t: 'array', items: { t: 'string' } } as Schema,
  stringMap: { t: 'map', values: { t: 'string' } } as Schema,
  /** The same shape, left out of output when zero (see Schema.omitZero). */
  omitZero: (s: Schema): Schema => ({ ...s, omitZero: true }),
};
