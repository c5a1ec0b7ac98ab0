/**
 * The previous update's copy of input lists and each element's key. Snapshots from the syncer
 * usually differ from the last one in a few replaced elements; finding them by identity costs a
 * pointer comparison per element instead of a key string and a map lookup.
 */
import type { Resource } from '../../../api/index.js';

export class ListMemo {
  private items: Resource[] = [];
  private keys: string[] = [];
  private lengths: number[] = [];
  /** The last full pass saw no key twice (otherwise only a full pass is exact). */
  private unique = false;

  /**
   * The elements that are not the same objects as last time, with their keys, when the lists
   * have the same lengths and every such element has the key of the one it replaced (so no key
   * came or went); undefined otherwise.
   */
  replaced(
    lists: readonly (readonly Resource[])[],
    keyOf: (r: Resource) => string,
  ): [string, Resource][] | undefined {
    if (!this.unique || lists.length !== this.lengths.length) return undefined;
    for (let j = 0; j < lists.length; j++) if (lists[j].length !== this.lengths[j]) return undefined;
    const out: [string, Resource][] = [];
    const at: number[] = [];
    let offset = 0;
    for (const list of lists) {
      for (let i = 0; i < list.length; i++) {
        const r = list[i];
        if (r === this.items[offset + i]) continue;
        const key = keyOf(r);
        if (key !== this.keys[offset + i]) return undefined;
        out.push([key, r]);
        at.push(offset + i);
      }
      offset += list.length;
    }
    for (let k = 0; k < at.length; k++) this.items[at[k]] = out[k][1];
    return out;
  }

  /** Records a full pass: the lists, the key of each element in order, and whether all differ. */
  remember(lists: readonly (readonly Resource[])[], keys: string[], unique: boolean): void {
    this.items = lists.flat();
    this.keys = keys;
    this.lengths = lists.map((l) => l.length);
    this.unique = unique;
  }
}
