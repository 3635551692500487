/**
 * A growable list of int32 (doubling an `Int32Array`): the block lists of `createBlockMask` without boxed
 * numbers.
 *
 * @example
 * ```ts
 * const list = new IntList();
 * list.push(3);
 * list.data.subarray(0, list.length); // Int32Array [3]
 * ```
 */
export class IntList {
  data = new Int32Array(64);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = x;
  }
  private grow(min: number): void {
    const next = new Int32Array(Math.max(min, this.data.length * 2));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}
