import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend(process.argv[2] ?? 'wasm');
const sync = process.argv[3] === 'sync';
const B=1,H=8,N=4096,D=64, half=D/2, BH=B*H;
const q = tf.randomNormal([B,H,N,D],0,1,'float32',1), k = tf.randomNormal([B,H,N,D],0,1,'float32',2);
const a = tf.randomNormal([N,D]), b = tf.randomNormal([N,D]);
const cos = tf.randomNormal([N,D]), sin = tf.randomNormal([N,D]);
const R = tf.randomNormal([N, half, 2, 2]);
const cases = {
  baseBroadcast: () => [tf.add(tf.mul(q,a),b), tf.add(tf.mul(k,a),b)],
  mul: () => [tf.mul(q,a), tf.mul(k,a)],
  add: () => [tf.add(q,a), tf.add(k,a)],
  addFull: () => [tf.add(q,k), tf.add(k,q)],
  transpose: () => [q,k].map(x => tf.transpose(tf.reshape(x,[BH,N,2,half]),[0,1,3,2])),
  mulSumInter: () => [q,k].map(x => tf.sum(tf.mul(tf.reshape(x,[BH,N,half,1,2]), R), 4)),
  mulSumHalf: () => [q,k].map(x => tf.transpose(tf.sum(tf.mul(tf.reshape(tf.transpose(tf.reshape(x,[BH,N,2,half]),[0,1,3,2]),[BH,N,half,1,2]), R), 4),[0,1,3,2])),
  bmm: () => [q,k].map(x => tf.matMul(tf.reshape(x,[BH,N,half,1,2]), R)),
};
function time(f, it=9){ for(let i=0;i<2;i++){ const r=tf.tidy(f); tf.dispose(r);} const ts=[]; for(let i=0;i<it;i++){const t0=performance.now(); const r=tf.tidy(f); if (sync) r.forEach(t=>t.dataSync()); ts.push(performance.now()-t0); tf.dispose(r);} ts.sort((x,y)=>x-y); return ts[it>>1]; }
for (const [n,f] of Object.entries(cases)) { try { console.log(n.padEnd(16), time(f).toFixed(2),'ms'); } catch(e) { console.log(n, 'ERR', e.message); } }
