/**
 * The onnxruntime-node peer of the attention benchmark, as ONNX models written in code (a minimal protobuf
 * encoder: no ONNX library is needed): the plain graph Transpose → MatMul → Mul → Softmax → MatMul, and
 * the `com.microsoft.MultiHeadAttention` contrib op. Field numbers from onnx/onnx.proto (IR version 8).
 */

type Field = Uint8Array;

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

const concat = (parts: Field[]): Field => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const int = (field: number, value: number): Field =>
  Uint8Array.from([...varint(field << 3), ...varint(value)]);
const bytes = (field: number, value: Field): Field =>
  concat([Uint8Array.from([...varint((field << 3) | 2), ...varint(value.length)]), value]);
const str = (field: number, value: string): Field => bytes(field, new TextEncoder().encode(value));
const msg = (field: number, ...parts: Field[]): Field => bytes(field, concat(parts));

const FLOAT = 1;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function floatAttr(name: string, value: number): Field {
  const f = new Uint8Array(new Float32Array([value]).buffer);
  return msg(5, str(1, name), concat([Uint8Array.of((2 << 3) | 5), f]), int(20, ATTR_FLOAT));
}
const intAttr = (name: string, value: number) => msg(5, str(1, name), int(3, value), int(20, ATTR_INT));
const intsAttr = (name: string, values: number[]) =>
  msg(5, str(1, name), ...values.map((v) => int(8, v)), int(20, ATTR_INTS));

function node(op: string, inputs: string[], outputs: string[], attrs: Field[] = [], domain = ''): Field {
  return msg(
    1,
    ...inputs.map((i) => str(1, i)),
    ...outputs.map((o) => str(2, o)),
    str(3, `${op}_${outputs[0]}`),
    str(4, op),
    ...attrs,
    ...(domain ? [str(7, domain)] : []),
  );
}

function valueInfo(field: number, name: string, shape: number[]): Field {
  const dims = shape.map((d) => msg(1, int(1, d)));
  return msg(field, str(1, name), msg(2, msg(1, int(1, FLOAT), msg(2, ...dims))));
}

function model(graph: Field[], opsets: Array<[string, number]>): Uint8Array {
  return concat([
    int(1, 8),
    str(2, 'efficient-attention-bench'),
    ...opsets.map(([domain, version]) => msg(8, ...(domain ? [str(1, domain)] : []), int(2, version))),
    msg(7, ...graph, str(2, 'attention')),
  ]);
}

/** softmax(q·kᵀ·scale)·v on `[1, H, N, d]` inputs q, k, v → out, as plain ONNX ops (opset 17). */
export function plainAttentionModel(heads: number, n: number, d: number, scale: number): Uint8Array {
  const scaleTensor = msg(
    5,
    int(2, FLOAT),
    str(8, 'scale'),
    bytes(9, new Uint8Array(new Float32Array([scale]).buffer)),
  );
  const shape = [1, heads, n, d];
  return model(
    [
      node('Transpose', ['k'], ['kt'], [intsAttr('perm', [0, 1, 3, 2])]),
      node('MatMul', ['q', 'kt'], ['s']),
      node('Mul', ['s', 'scale'], ['ss']),
      node('Softmax', ['ss'], ['p'], [intAttr('axis', -1)]),
      node('MatMul', ['p', 'v'], ['out']),
      scaleTensor,
      valueInfo(11, 'q', shape),
      valueInfo(11, 'k', shape),
      valueInfo(11, 'v', shape),
      valueInfo(12, 'out', shape),
    ],
    [['', 17]],
  );
}

/** `com.microsoft.MultiHeadAttention` on `[1, N, H·d]` inputs q, k, v → out. */
export function multiHeadAttentionModel(heads: number, n: number, d: number, scale: number): Uint8Array {
  const shape = [1, n, heads * d];
  return model(
    [
      node(
        'MultiHeadAttention',
        ['q', 'k', 'v'],
        ['out'],
        [intAttr('num_heads', heads), floatAttr('scale', scale)],
        'com.microsoft',
      ),
      valueInfo(11, 'q', shape),
      valueInfo(11, 'k', shape),
      valueInfo(11, 'v', shape),
      valueInfo(12, 'out', shape),
    ],
    [
      ['', 17],
      ['com.microsoft', 1],
    ],
  );
}
