import type { GPGPUProgramSpec } from './webgl-program.js';

/**
 * The keys of a tile a query row may see, in GLSL: `allowedKeys(i)` for row `i` of the tile (query
 * `q0 + i`) and keys `k0 …` of the tile. Causal masking is bottom-right aligned (query q sees keys
 * ≤ q + kvLen − qLen), so the allowed keys of a row are a prefix of the tile.
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

/**
 * GLSL: the running row maximum of a `[planes, tileQueries, tileKeys]` score tile over the keys each row
 * may see, `max(M, max_j S[·, i, j])` — the first half of an online-softmax step (Milakov & Gimelshein
 * 2018, https://arxiv.org/abs/1805.02867). Uniforms `q0`, `k0`: the tile's first query and key.
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
  readonly customUniforms = [
    { name: 'q0', type: 'int' as const },
    { name: 'k0', type: 'int' as const },
  ];

  constructor(tile: OnlineSoftmaxTile) {
    this.outputShape = [tile.planes, tile.tileQueries];
    this.userCode = `
      ${allowedKeysGLSL(tile.tileKeys, tile.causal, tile.qLen, tile.kvLen)}
      void main() {
        ivec2 c = getOutputCoords();
        float m = getM(c.x, c.y);
        int keys = allowedKeys(c.y);
        for (int j = 0; j < ${tile.tileKeys}; j++) {
          if (j >= keys) break;
          m = max(m, getS(c.x, c.y, j));
        }
        setOutput(m);
      }
    `;
  }
}

/**
 * GLSL: the unnormalised probabilities of a score tile, `exp(S[·, i, j] − M[·, i])` where row i may see key
 * j and 0 elsewhere — the second half of an online-softmax step. Uniforms `q0`, `k0` as {@link RowMaxProgram}.
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
        float p = 0.0;
        if (c.z < allowedKeys(c.y)) p = exp(getS(c.x, c.y, c.z) - getM(c.x, c.y));
        setOutput(p);
      }
    `;
  }
}
