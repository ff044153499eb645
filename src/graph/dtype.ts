/**
 * Element types the graph builder knows, with their ONNX `TensorProto.DataType` codes and the typed
 * arrays that hold them on the host. Bool is stored one byte per element, as ONNX raw data does.
 * uint8 holds packed quantised weights (4-bit pairs, zero points) for MatMulNBits.
 */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

export interface DTypeInfo {
  /** ONNX TensorProto.DataType code. */
  readonly onnx: number;
  /** Bytes per element in raw data. */
  readonly bytes: number;
  /** Whether gradients flow through values of this type. */
  readonly differentiable: boolean;
  /** A zero-filled host array of `size` elements. */
  readonly create: (size: number) => TypedData;
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  float32: { onnx: 1, bytes: 4, differentiable: true, create: (n) => new Float32Array(n) },
  float64: { onnx: 11, bytes: 8, differentiable: true, create: (n) => new Float64Array(n) },
  int64: { onnx: 7, bytes: 8, differentiable: false, create: (n) => new BigInt64Array(n) },
  int32: { onnx: 6, bytes: 4, differentiable: false, create: (n) => new Int32Array(n) },
  uint8: { onnx: 2, bytes: 1, differentiable: false, create: (n) => new Uint8Array(n) },
  bool: { onnx: 9, bytes: 1, differentiable: false, create: (n) => new Uint8Array(n) },
};

export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export function isFloat(dtype: DType): boolean {
  return DTYPES[dtype].differentiable;
}

export function onnxCode(dtype: DType): number {
  return DTYPES[dtype].onnx;
}

export function dtypeFromOnnx(code: number): DType {
  for (const [name, info] of Object.entries(DTYPES)) if (info.onnx === code) return name as DType;
  throw new Error(`ONNX data type ${code} is not supported by the graph builder`);
}

/** A zero-filled typed array of the right kind for `dtype`. */
export function allocate(dtype: DType, size: number): TypedData {
  return DTYPES[dtype].create(size);
}
