/**
 * `@efficient-attention/linear-attention`: Linear and low-rank attention: kernel feature maps (elu+1, ReLU, FAVOR+), Linformer, Nyströmformer and Reformer LSH attention.
 *
 * @packageDocumentation
 */
export {};
