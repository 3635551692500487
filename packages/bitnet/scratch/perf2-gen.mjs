import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
const K = 2048, N = 2048;
const rnd = (s => () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32)(7);
const x = new Int32Array(K); for (let i = 0; i < K; i++) x[i] = Math.floor(rnd() * 256) - 128;
const w = new Int8Array(N * K); for (let i = 0; i < N * K; i++) w[i] = Math.floor(rnd() * 3) - 1;
// i2s pack rows [N, K]: code = w+1, 16/word
const W2 = K / 16;
const p2 = new Int32Array(N * W2);
for (let n = 0; n < N; n++) for (let kk = 0; kk < K; kk++) p2[n * W2 + (kk >> 4)] |= (w[n * K + kk] + 1) << (2 * (kk & 15));
// tq1: 5 trits per byte, bytes per row ceil(K/5), words per row ceil(bytes/4)
const B5 = Math.ceil(K / 5), W5 = Math.ceil(B5 / 4);
const p5 = new Int32Array(N * W5);
for (let n = 0; n < N; n++) for (let b = 0; b < W5 * 4; b++) {
  let v = 0, pw = 1;
  for (let i = 0; i < 5; i++) { const kk = b * 5 + i; v += (kk < K ? w[n * K + kk] + 1 : 1) * pw; pw *= 3; }
  p5[n * W5 + (b >> 2)] |= v << (8 * (b & 3));
}
const ref = new Int32Array(N); for (let n = 0; n < N; n++) { let s = 0; for (let kk = 0; kk < K; kk++) s += x[kk] * w[n * K + kk]; ref[n] = s; }

function lutI2s(T, out) {
  const G = K / 4;
  for (let g = 0; g < G; g++) {
    const base = g << 8; const x0 = x[4*g], x1 = x[4*g+1], x2 = x[4*g+2], x3 = x[4*g+3];
    T[base] = -(x0 + x1 + x2 + x3);
    let size = 1; const xs = [x0, x1, x2, x3];
    for (let j = 0; j < 4; j++) { const xj = xs[j]; const st = 1 << (2 * j);
      for (let c = 1; c < 4; c++) for (let e = 0; e < size; e++) T[base + c * st + e] = T[base + (c - 1) * st + e] + xj;
      size *= 4; }
  }
  for (let n = 0; n < N; n++) {
    let acc = 0; let o = n * W2; let t = 0;
    for (let q = 0; q < W2; q++, t += 1024) {
      const v = p2[o + q];
      acc += T[t | (v & 255)] + T[(t + 256) | ((v >>> 8) & 255)] + T[(t + 512) | ((v >>> 16) & 255)] + T[(t + 768) | (v >>> 24)];
    }
    out[n] = acc;
  }
}
function lutTq1(T, out) {
  const G = W5 * 4;
  const xs = new Int32Array(5);
  for (let g = 0; g < G; g++) {
    const base = g << 8;
    let s = 0; for (let i = 0; i < 5; i++) { const kk = g * 5 + i; xs[i] = kk < K ? x[kk] : 0; s += xs[i]; }
    T[base] = -s; let size = 1;
    for (let j = 0; j < 5; j++) { const xj = xs[j];
      for (let c = 1; c < 3; c++) for (let e = 0; e < size; e++) T[base + c * size + e] = T[base + (c - 1) * size + e] + xj;
      size *= 3; }
    for (let b = 243; b < 256; b++) T[base + b] = T[base + b - 243];
  }
  for (let n = 0; n < N; n++) {
    let acc = 0; const o = n * W5; let t = 0;
    for (let q = 0; q < W5; q++, t += 1024) {
      const v = p5[o + q];
      acc += T[t | (v & 255)] + T[(t + 256) | ((v >>> 8) & 255)] + T[(t + 512) | ((v >>> 16) & 255)] + T[(t + 768) | (v >>> 24)];
    }
    out[n] = acc;
  }
}
function addSubI2s(out) {
  for (let n = 0; n < N; n++) {
    let acc = 0; const o = n * W2;
    for (let q = 0; q < W2; q++) {
      let v = p2[o + q]; const kb = q << 4;
      for (let j = 0; j < 16; j++, v >>>= 2) {
        const c = v & 3; const xv = x[kb + j];
        acc += (xv & -(c >> 1)) - (xv & -(((c ^ 1) & ~(c >> 1)) & 1));
      }
    }
    out[n] = acc;
  }
}
function time(name, f, ops) {
  for (let i = 0; i < 3; i++) f();
  const ts = []; for (let i = 0; i < 15; i++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b); const med = ts[7];
  console.log(name, med.toFixed(3), 'ms', (ops / med / 1e6).toFixed(2), 'GOPS');
}
const out = new Int32Array(N);
const T32 = new Int32Array(K / 4 * 256), T16 = new Int16Array(K / 4 * 256);
const T5 = new Int32Array(W5 * 4 * 256), T5_16 = new Int16Array(W5 * 4 * 256);
const chk = (nm) => { for (let n = 0; n < N; n++) if (out[n] !== ref[n]) throw new Error(nm + ' mismatch ' + n); };
lutI2s(T32, out); chk('i2s32'); lutI2s(T16, out); chk('i2s16'); lutTq1(T5, out); chk('tq1'); lutTq1(T5_16, out); chk('tq1_16'); addSubI2s(out); chk('addsub');
const ops = 2 * K * N;






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
