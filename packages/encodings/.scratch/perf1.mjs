import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend(process.argv[2] ?? 'wasm');
const B=1,H=8,N=4096,D=64;
const q = tf.randomNormal([B,H,N,D],0,1,'float32',1), k = tf.randomNormal([B,H,N,D],0,1,'float32',2);
const a = tf.randomNormal([N,D]), b = tf.randomNormal([N,D]);
const afull = tf.randomNormal([B,H,N,D]), bfull = tf.randomNormal([B,H,N,D]);
const cos = tf.randomNormal([N,D]), sin = tf.randomNormal([N,D]);
const half = D/2;
const cases = {
  baseBroadcast: () => [tf.add(tf.mul(q,a),b), tf.add(tf.mul(k,a),b)],
  baseFull: () => [tf.add(tf.mul(q,afull),bfull), tf.add(tf.mul(k,afull),bfull)],
  mulOnly: () => [tf.mul(q,a), tf.mul(k,a)],
  reverseHalf: () => [q,k].map(x => tf.add(tf.mul(x,cos), tf.mul(tf.reshape(tf.reverse(tf.reshape(x,[B,H,N,2,half]),3),[B,H,N,D]), sin))),
  reverseInter: () => [q,k].map(x => tf.add(tf.mul(x,cos), tf.mul(tf.reshape(tf.reverse(tf.reshape(x,[B,H,N,half,2]),4),[B,H,N,D]), sin))),
  sliceConcat: () => [q,k].map(x => tf.add(tf.mul(x,cos), tf.mul(tf.concat([tf.slice(x,[0,0,0,half],[-1,-1,-1,half]), tf.slice(x,[0,0,0,0],[-1,-1,-1,half])],3), sin))),
  reverseOnly: () => [q,k].map(x => tf.reverse(tf.reshape(x,[B,H,N,2,half]),3)),
  transposeSwap: () => [q,k].map(x => tf.transpose(tf.reshape(x,[B,H,N,2,half]),[0,1,2,4,3])),
  halfOps: () => [q,k].map(x => { const x1=tf.slice(x,[0,0,0,0],[-1,-1,-1,half]), x2=tf.slice(x,[0,0,0,half],[-1,-1,-1,half]); const c=tf.slice(cos,[0,0],[-1,half]), s=tf.slice(sin,[0,0],[-1,half]); return tf.concat([tf.sub(tf.mul(x1,c),tf.mul(x2,s)), tf.add(tf.mul(x2,c),tf.mul(x1,s))],3);}),
};
function time(f, it=9){ for(let i=0;i<2;i++){ const r=tf.tidy(f); r.forEach(t=>t.dataSync()); tf.dispose(r);} const ts=[]; for(let i=0;i<it;i++){const t0=performance.now(); const r=tf.tidy(f); ts.push(performance.now()-t0); tf.dispose(r);} ts.sort((x,y)=>x-y); return ts[it>>1]; }
for (const [n,f] of Object.entries(cases)) console.log(n.padEnd(16), time(f).toFixed(2),'ms');
