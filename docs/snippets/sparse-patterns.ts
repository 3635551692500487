import {
  blockLocal,
  createMaskArray,
  dilatedSlidingWindow,
  globalTokens,
  randomPattern,
  slidingWindow,
} from '@efficient-attention/sparse-masks';

const n = 12;
// The survey's five atomic position-based patterns (Lin et al. 2021, §4.1.1.1).
const patterns = {
  global: globalTokens({ indices: [0] }), // token 0 attends to and is attended by all
  band: slidingWindow({ radius: 2 }), // local window, a.k.a. sliding-window attention
  dilated: dilatedSlidingWindow({ radius: 4, dilation: 2 }), // the band with gaps
  random: randomPattern({ kvLen: n, perRow: 3, seed: 1 }), // a seeded random choice per row
  blockLocal: blockLocal({ size: 4 }), // non-overlapping blocks
};

for (const [name, maskMod] of Object.entries(patterns)) {
  const rows = createMaskArray(maskMod, n, n)[0]![0]!; // [batch][heads][q][kv] booleans
  const kept = rows.flat().filter(Boolean).length;
  console.log(`${name.padEnd(10)} keeps ${kept}/${n * n} scores`);
  console.log(rows.map((row) => row.map((on) => (on ? '█' : '·')).join('')).join('\n'));
}
