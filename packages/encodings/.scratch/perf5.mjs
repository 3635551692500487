import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend(process.argv[2] ?? 'wasm');
const sync = process.argv[3] === 'sync';
const B=1,H=8,N=4096,D=64, half=D/2, BH=B*H;
const q = tf.randomNormal([B,H,N,D],0,1,'float32',1), k = tf.randomNormal([B,H,N,D],0,1,'float32',2);
const a = tf.randomNormal([N,D]), b = tf.randomNormal([N,D]);
const cos = tf.randomNormal([N,D]), sin = tf.randomNormal([N,D]);
const P = tf.tensor2d([[0,1],[-1,0]]);
const P64 = tf.randomNormal([64,64]);
const cases = {
  baseBroadcast: () => [tf.add(tf.mul(q,a),b), tf.add(tf.mul(k,a),b)],
  mm2: () => [q,k].map(x => tf.matMul(tf.reshape(x,[-1,2]), P)),
  mm64: () => [q,k].map(x => tf.matMul(tf.reshape(x,[-1,64]), P64)),
  ropeInter: () => [q,k].map(x => tf.add(tf.mul(x,cos), tf.mul(tf.reshape(tf.matMul(tf.reshape(x,[-1,2]), P),[B,H,N,D]), sin))),
  ropeHalf: () => [q,k].map(x => { const xi = tf.transpose(tf.reshape(x,[BH,N,2,half]),[0,1,3,2]); const r = tf.reshape(tf.matMul(tf.reshape(xi,[-1,2]),P),[BH,N,half,2]); const rh = tf.reshape(tf.transpose(r,[0,1,3,2]),[B,H,N,D]); return tf.add(tf.mul(x,cos), tf.mul(rh,sin)); }),
  ropeHalfInInter: () => [q,k].map(x => { const xi = tf.reshape(tf.transpose(tf.reshape(x,[BH,N,2,half]),[0,1,3,2]),[B,H,N,D]); const r = tf.reshape(tf.matMul(tf.reshape(xi,[-1,2]),P),[B,H,N,D]); const o = tf.add(tf.mul(xi,cos), tf.mul(r,sin)); return tf.reshape(tf.transpose(tf.reshape(o,[BH,N,half,2]),[0,1,3,2]),[B,H,N,D]); }),
};
function time(f, it=11){ for(let i=0;i<2;i++){ const r=tf.tidy(f); tf.dispose(r);} const ts=[]; for(let i=0;i<it;i++){const t0=performance.now(); const r=tf.tidy(f); if (sync) r.forEach(t=>t.dataSync()); ts.push(performance.now()-t0); tf.dispose(r);} ts.sort((x,y)=>x-y); return ts[it>>1]; }
for (const [n,f] of Object.entries(cases)) { try { console.log(n.padEnd(16), time(f).toFixed(2),'ms'); } catch(e) { console.log(n, 'ERR', e.message); } }
