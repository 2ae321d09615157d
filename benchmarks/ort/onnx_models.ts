/**
 * Two ONNX models of the sparse softmax cross-entropy forward, written as
 * protobuf bytes by hand (no onnx package needed): what the ORT peer runs.
 *  - `logSoftmaxChain`: loss[N, 1] = −GatherElements(LogSoftmax(logits), labels[N, 1], axis 1)
 *  - `sceNode`: loss[N] = SoftmaxCrossEntropyLoss(logits, labels[N], reduction 'none')
 * Both opset 13; logits float32 [N, C], labels int64.
 */

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

/** Field `field` as a varint. */
function vfield(field: number, n: number | bigint): number[] {
  return [...varint(field << 3), ...varint(n)];
}

/** Field `field` as length-delimited bytes (a string or a nested message). */
function bfield(field: number, bytes: number[] | string): number[] {
  const b = typeof bytes === 'string' ? [...new TextEncoder().encode(bytes)] : bytes;
  return [...varint((field << 3) | 2), ...varint(b.length), ...b];
}

const FLOAT = 1, INT64 = 7;

function valueInfo(name: string, elemType: number, dims: number[]): number[] {
  const shape = dims.flatMap(d => bfield(1, vfield(1, d)));
  const tensorType = [...vfield(1, elemType), ...bfield(2, shape)];
  return [...bfield(1, name), ...bfield(2, bfield(1, tensorType))];
}

function attrInt(name: string, i: number): number[] {
  return [...bfield(1, name), ...vfield(3, i), ...vfield(20, 2)];
}

function attrString(name: string, s: string): number[] {
  return [...bfield(1, name), ...bfield(4, s), ...vfield(20, 3)];
}

function node(op: string, inputs: string[], outputs: string[], attrs: number[][] = []): number[] {
  return [...inputs.flatMap(i => bfield(1, i)), ...outputs.flatMap(o => bfield(2, o)), ...bfield(4, op),
          ...attrs.flatMap(a => bfield(5, a))];
}

function model(nodes: number[][], inputs: number[][], outputs: number[][]): Uint8Array {
  const graph = [...nodes.flatMap(n => bfield(1, n)), ...bfield(2, 'g'), ...inputs.flatMap(i => bfield(11, i)),
                 ...outputs.flatMap(o => bfield(12, o))];
  const opset = [...bfield(1, ''), ...vfield(2, 13)];
  return new Uint8Array([...vfield(1, 8), ...bfield(7, graph), ...bfield(8, opset)]);
}

export function logSoftmaxChain(N: number, C: number): Uint8Array {
  return model([
    node('LogSoftmax', ['logits'], ['logp'], [attrInt('axis', 1)]),
    node('GatherElements', ['logp', 'labels'], ['picked'], [attrInt('axis', 1)]),
    node('Neg', ['picked'], ['loss']),
  ], [valueInfo('logits', FLOAT, [N, C]), valueInfo('labels', INT64, [N, 1])], [valueInfo('loss', FLOAT, [N, 1])]);
}

export function sceNode(N: number, C: number): Uint8Array {
  return model([
    node('SoftmaxCrossEntropyLoss', ['logits', 'labels'], ['loss'], [attrString('reduction', 'none')]),
  ], [valueInfo('logits', FLOAT, [N, C]), valueInfo('labels', INT64, [N])], [valueInfo('loss', FLOAT, [N])]);
}
