import type { GPGPUProgramSpec } from './webgl-program.js';

/**
 * The keys of a tile a query row may see, in GLSL: `allowedKeys(i)` for row `i` of the tile (query
 * `q0 + i`) and keys `k0 …` of the tile. Causal masking is bottom-right aligned (query q sees keys
 * ≤ q + kvLen − qLen), so the allowed keys of a row are a prefix of the tile, and a row's prefix is never
 * shorter than the row above's.
 */
function allowedKeysGLSL(tileKeys: number, causal: boolean, qLen: number, kvLen: number): string {
  const limit = causal ? `clamp(q0 + i + 1 + ${kvLen - qLen} - k0, 0, ${tileKeys})` : `${tileKeys}`;
  return `int allowedKeys(int i) { return ${limit}; }`;
}

/** Shape facts of one tile of {@link RowMaxProgram} and {@link MaskedExpProgram}. */
export interface OnlineSoftmaxTile {
  /** Rows of the score tile: batch · heads. */
  planes: number;
  /** Query rows and keys in the tile. */
  tileQueries: number;
  tileKeys: number;
  causal: boolean;
  qLen: number;
  kvLen: number;
}

/** A masked score: far below any real one, and exp(MASKED − m) is 0. */
const MASKED = '-3.0e38';

/**
 * GLSL, packed (tfjs-webgl's 2×2 texels, the layout its `matMul` writes, so no unpack pass runs before it):
 * the running row maximum of a `[planes, tileQueries, tileKeys]` score tile over the keys each row may see,
 * `max(M, max_j S[·, i, j])`, as `[planes, tileQueries, 1]` — the first half of an online-softmax step
 * (Milakov & Gimelshein 2018, https://arxiv.org/abs/1805.02867). One texel covers two query rows; it reads
 * the scores two rows × two keys at a time. Uniforms `q0`, `k0`: the tile's first query and key.
 *
 * @example
 * ```ts
 * const m = backend.runWebGLProgram(new RowMaxProgram(tile), [scores, runningMax], 'float32', [[q0], [k0]]);
 * ```
 */
export class RowMaxProgram implements GPGPUProgramSpec {
  readonly variableNames = ['S', 'M'];
  readonly outputShape: number[];
  readonly userCode: string;
  readonly packedInputs = true;
  readonly packedOutput = true;
  readonly customUniforms = [
    { name: 'q0', type: 'int' as const },
    { name: 'k0', type: 'int' as const },
  ];

  constructor(tile: OnlineSoftmaxTile) {
    this.outputShape = [tile.planes, tile.tileQueries, 1];
    this.userCode = `
      ${allowedKeysGLSL(tile.tileKeys, tile.causal, tile.qLen, tile.kvLen)}
      void main() {
        ivec3 c = getOutputCoords();
        vec4 m = getM(c.x, c.y, 0); // x: row c.y, z: row c.y + 1
        int keysA = allowedKeys(c.y);
        int keysB = allowedKeys(c.y + 1);
        for (int j = 0; j < ${tile.tileKeys}; j += 2) {
          if (j >= keysB) break;
          vec4 s = getS(c.x, c.y, j); // (row, key): x (r, j), y (r, j+1), z (r+1, j), w (r+1, j+1)
          m.x = max(m.x, max(j < keysA ? s.x : ${MASKED}, j + 1 < keysA ? s.y : ${MASKED}));
          m.z = max(m.z, max(s.z, j + 1 < keysB ? s.w : ${MASKED}));
        }
        setOutput(vec4(m.x, 0.0, m.z, 0.0));
      }
    `;
  }
}

/**
 * GLSL, packed like {@link RowMaxProgram}: the unnormalised probabilities of a score tile,
 * `exp(S[·, i, j] − M[·, i])` where row i may see key j and 0 elsewhere — the second half of an
 * online-softmax step — written in the packed layout tfjs's `matMul` reads (no pack pass before p·v).
 * Uniforms `q0`, `k0` as {@link RowMaxProgram}.
 *
 * @example
 * ```ts
 * const p = backend.runWebGLProgram(new MaskedExpProgram(tile), [scores, newMax], 'float32', [[q0], [k0]]);
 * ```
 */
export class MaskedExpProgram implements GPGPUProgramSpec {
  readonly variableNames = ['S', 'M'];
  readonly outputShape: number[];
  readonly userCode: string;
  readonly packedInputs = true;
  readonly packedOutput = true;
  readonly customUniforms = [
    { name: 'q0', type: 'int' as const },
    { name: 'k0', type: 'int' as const },
  ];

  constructor(tile: OnlineSoftmaxTile) {
    this.outputShape = [tile.planes, tile.tileQueries, tile.tileKeys];
    this.userCode = `
      ${allowedKeysGLSL(tile.tileKeys, tile.causal, tile.qLen, tile.kvLen)}
      void main() {
        ivec3 c = getOutputCoords();
        vec4 s = getS(c.x, c.y, c.z);
        vec4 m = getM(c.x, c.y, 0);
        int keysA = allowedKeys(c.y);
        int keysB = allowedKeys(c.y + 1);
        bvec4 allowed = bvec4(c.z < keysA, c.z + 1 < keysA, c.z < keysB, c.z + 1 < keysB);
        // Masked lanes may hold anything (even past the tile's edge): select, never multiply by 0.
        vec4 p = exp(min(s - m.xxzz, 0.0));
        setOutput(mix(vec4(0.0), p, allowed));
      }
    `;
  }
}
