// The single embedding interface; providers live beside this file.
export interface Embedder {
  /** Stable provider id, e.g. "offline-sif-100d" or "minilm-l6-v2"; stored beside vectors. */
  readonly id: string;
  /** Vector length. */
  readonly dim: number;
  /** Unit-length vectors, one per input, in input order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

export interface EmbedderInfo {
  id: string;
  provider: 'minilm' | 'offline';
  dim: number;
  /** Why this provider was chosen (auto mode), for check_environment and /health. */
  reason: string;
}
