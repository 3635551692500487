import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend(process.argv[2] ?? 'wasm');
const sync = process.argv[3] === 'sync';
const B=1,H=8,N=4096,D=64, half=D/2, BH=B*H;
const q = tf.randomNormal([B,H,N,D],0,1,'float32',1), k = tf.randomNormal([B,H,N,D],0,1,'float32',2);
const a = tf.randomNormal([N,D]), b = tf.randomNormal([N,D]);
const c = tf.randomNormal([N,half]), s = tf.randomNormal([N,half]);
const C2 = tf.randomNormal([2,1,N,half]), S2 = tf.randomNormal([2,1,N,half]);
const cases = {
  baseBroadcast: () => [tf.add(tf.mul(q,a),b), tf.add(tf.mul(k,a),b)],
  V1: () => [q,k].map(x => { const xt = tf.transpose(tf.reshape(x,[BH,N,2,half]),[2,0,1,3]); const [x1,x2] = tf.unstack(xt); const o1 = tf.sub(tf.mul(x1,c), tf.mul(x2,s)); const o2 = tf.add(tf.mul(x2,c), tf.mul(x1,s)); return tf.reshape(tf.transpose(tf.stack([o1,o2]),[1,2,0,3]),[B,H,N,D]); }),
  V1split: () => [q,k].map(x => { const xt = tf.transpose(tf.reshape(x,[BH,N,2,half]),[2,0,1,3]); const [x1,x2] = tf.split(xt, 2, 0); const o1 = tf.sub(tf.mul(x1,c), tf.mul(x2,s)); const o2 = tf.add(tf.mul(x2,c), tf.mul(x1,s)); return tf.reshape(tf.transpose(tf.concat([o1,o2],0),[1,2,0,3]),[B,H,N,D]); }),
  V2: () => [q,k].map(x => { const xt = tf.transpose(tf.reshape(x,[BH,N,2,half]),[2,0,1,3]); const [x1,x2] = tf.split(xt, 2, 0); const sw = tf.concat([x2,x1],0); return tf.reshape(tf.transpose(tf.add(tf.mul(xt,C2), tf.mul(sw,S2)),[1,2,0,3]),[B,H,N,D]); }),
  Tonly: () => [q,k].map(x => tf.transpose(tf.reshape(x,[BH,N,2,half]),[2,0,1,3])),
  TandSplit: () => [q,k].flatMap(x => tf.split(tf.transpose(tf.reshape(x,[BH,N,2,half]),[2,0,1,3]),2,0)),
};
function time(f, it=11){ for(let i=0;i<2;i++){ const r=tf.tidy(f); tf.dispose(r);} const ts=[]; for(let i=0;i<it;i++){const t0=performance.now(); const r=tf.tidy(f); if (sync) r.forEach(t=>t.dataSync()); ts.push(performance.now()-t0); tf.dispose(r);} ts.sort((x,y)=>x-y); return ts[it>>1]; }
for (const [n,f] of Object.entries(cases)) { try { console.log(n.padEnd(16), time(f).toFixed(2),'ms'); } catch(e) { console.log(n, 'ERR', e.message); } }
