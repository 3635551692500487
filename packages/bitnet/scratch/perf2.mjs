import { readFileSync } from 'node:fs';
const src = readFileSync('perf.mjs', 'utf8').split("await tf.setBackend")[0].replace(/^time\(.*$/gm, '');
const extra = `
function buildI2s(T) {
  const G = K / 4;
  for (let g = 0; g < G; g++) {
    const base = g << 8; const x0 = x[4*g], x1 = x[4*g+1], x2 = x[4*g+2], x3 = x[4*g+3];
    T[base] = -(x0 + x1 + x2 + x3);
    let size = 1; const xs = [x0, x1, x2, x3];
    for (let j = 0; j < 4; j++) { const xj = xs[j]; const st = 1 << (2 * j);
      for (let c = 1; c < 4; c++) for (let e = 0; e < size; e++) T[base + c * st + e] = T[base + (c - 1) * st + e] + xj;
      size *= 4; }
  }
}
function rowsI2s4(T, out) {
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0; const o0 = n * W2, o1 = o0 + W2, o2 = o1 + W2, o3 = o2 + W2; let t = 0;
    for (let q = 0; q < W2; q++, t += 1024) {
      const v0 = p2[o0 + q], v1 = p2[o1 + q], v2 = p2[o2 + q], v3 = p2[o3 + q];
      a0 += T[t | (v0 & 255)] + T[(t + 256) | ((v0 >>> 8) & 255)] + T[(t + 512) | ((v0 >>> 16) & 255)] + T[(t + 768) | (v0 >>> 24)];
      a1 += T[t | (v1 & 255)] + T[(t + 256) | ((v1 >>> 8) & 255)] + T[(t + 512) | ((v1 >>> 16) & 255)] + T[(t + 768) | (v1 >>> 24)];
      a2 += T[t | (v2 & 255)] + T[(t + 256) | ((v2 >>> 8) & 255)] + T[(t + 512) | ((v2 >>> 16) & 255)] + T[(t + 768) | (v2 >>> 24)];
      a3 += T[t | (v3 & 255)] + T[(t + 256) | ((v3 >>> 8) & 255)] + T[(t + 512) | ((v3 >>> 16) & 255)] + T[(t + 768) | (v3 >>> 24)];
    }
    out[n] = a0; out[n+1] = a1; out[n+2] = a2; out[n+3] = a3;
  }
}
function rowsI2s1(T, out) {
  for (let n = 0; n < N; n++) {
    let acc = 0; let o = n * W2; let t = 0;
    for (let q = 0; q < W2; q++, t += 1024) {
      const v = p2[o + q];
      acc += T[t | (v & 255)] + T[(t + 256) | ((v >>> 8) & 255)] + T[(t + 512) | ((v >>> 16) & 255)] + T[(t + 768) | (v >>> 24)];
    }
    out[n] = acc;
  }
}
function rowsTq1_4(T, out) {
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0; const o0 = n * W5, o1 = o0 + W5, o2 = o1 + W5, o3 = o2 + W5; let t = 0;
    for (let q = 0; q < W5; q++, t += 1024) {
      const v0 = p5[o0 + q], v1 = p5[o1 + q], v2 = p5[o2 + q], v3 = p5[o3 + q];
      a0 += T[t | (v0 & 255)] + T[(t + 256) | ((v0 >>> 8) & 255)] + T[(t + 512) | ((v0 >>> 16) & 255)] + T[(t + 768) | (v0 >>> 24)];
      a1 += T[t | (v1 & 255)] + T[(t + 256) | ((v1 >>> 8) & 255)] + T[(t + 512) | ((v1 >>> 16) & 255)] + T[(t + 768) | (v1 >>> 24)];
      a2 += T[t | (v2 & 255)] + T[(t + 256) | ((v2 >>> 8) & 255)] + T[(t + 512) | ((v2 >>> 16) & 255)] + T[(t + 768) | (v2 >>> 24)];
      a3 += T[t | (v3 & 255)] + T[(t + 256) | ((v3 >>> 8) & 255)] + T[(t + 512) | ((v3 >>> 16) & 255)] + T[(t + 768) | (v3 >>> 24)];
    }
    out[n] = a0; out[n+1] = a1; out[n+2] = a2; out[n+3] = a3;
  }
}
lutTq1(T5, out);
rowsI2s4(T32, out); 
buildI2s(T32); rowsI2s4(T32, out); chk('r4'); rowsI2s1(T32,out); chk('r1');
lutTq1(T5, out); rowsTq1_4(T5, out); chk('t4');
time('build i2s', () => buildI2s(T32), ops);
time('rows1 i2s', () => rowsI2s1(T32, out), ops);
time('rows4 i2s', () => rowsI2s4(T32, out), ops);
time('lut tq1 full', () => lutTq1(T5, out), ops);
time('rows4 tq1', () => rowsTq1_4(T5, out), ops);
`;
import { writeFileSync } from 'node:fs';
writeFileSync('perf2-gen.mjs', src + extra);
