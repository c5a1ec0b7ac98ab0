// Placeholder until the selector engine lands: keeps dependants compiling.
export interface Selector {
  evaluate(labels: Record<string, string>): boolean;
  toString(): string;
  uniqueId(): string;
}
export function parseSelector(_text: string): Selector {
  throw new Error('selector engine not implemented yet');
}
