import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend(process.argv[2] ?? 'wasm');
const B=1,H=8,N=4096,D=64, half=D/2;
const q = tf.randomNormal([B,H,N,D],0,1,'float32',1), k = tf.randomNormal([B,H,N,D],0,1,'float32',2);
const a = tf.randomNormal([N,D]), b = tf.randomNormal([N,D]);
const cos = tf.randomNormal([N,D]), sin = tf.randomNormal([N,D]);
const perm = tf.tensor1d(Array.from({length:D},(_,j)=> j<half? j+half : j-half),'int32');
const cases = {
  baseBroadcast: () => [tf.add(tf.mul(q,a),b), tf.add(tf.mul(k,a),b)],
  gatherOnly: () => [q,k].map(x => tf.gather(x, perm, 3)),
  gatherRope: () => [q,k].map(x => tf.add(tf.mul(x,cos), tf.mul(tf.gather(x, perm, 3), sin))),
  gather2D: () => [q,k].map(x => tf.reshape(tf.gather(tf.reshape(x,[-1,D]), perm, 1),[B,H,N,D])),
  transposeT: () => [q,k].map(x => { const xt = tf.transpose(tf.reshape(x,[B*H*N,2,half]),[1,0,2]); const sw = tf.concat([tf.slice(xt,[1,0,0],[1,-1,-1]), tf.slice(xt,[0,0,0],[1,-1,-1])],0); return tf.transpose(sw,[1,0,2]); }),
  strided: () => [q,k].map(x => tf.stridedSlice(tf.reshape(x,[B*H*N,2,half]),[0,1,0],[B*H*N,-3,half],[1,-1,1])),
  addN: () => [q,k].map(x => tf.addN([tf.mul(x,cos), tf.mul(x,sin)])),
  mul2add: () => [q,k].map(x => tf.add(tf.mul(x,cos), tf.mul(x,sin))),
};
function time(f, it=9){ for(let i=0;i<2;i++){ const r=tf.tidy(f); tf.dispose(r);} const ts=[]; for(let i=0;i<it;i++){const t0=performance.now(); const r=tf.tidy(f); r.forEach(t=>t.dataSync()); ts.push(performance.now()-t0); tf.dispose(r);} ts.sort((x,y)=>x-y); return ts[it>>1]; }
for (const [n,f] of Object.entries(cases)) { try { console.log(n.padEnd(16), time(f).toFixed(2),'ms'); } catch(e) { console.log(n, 'ERR', e.message); } }
