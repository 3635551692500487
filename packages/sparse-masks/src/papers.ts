import { type PaperReference, paper } from '@efficient-attention/core';

/**
 * The papers cited by more than one definition of this package (one reference, one place). A new
 * pattern whose paper is not here cites it in its own file.
 */

/** Vaswani et al. 2017 (causal masking). */
export const vaswani2017: PaperReference = paper(
  'Attention Is All You Need',
  'Vaswani et al.',
  2017,
  'https://arxiv.org/abs/1706.03762',
  'NeurIPS',
);

/** Beltagy, Peters, Cohan 2020 (sliding, dilated and global attention). */
export const longformer2020: PaperReference = paper(
  'Longformer: The Long-Document Transformer',
  'Beltagy, Peters, Cohan',
  2020,
  'https://arxiv.org/abs/2004.05150',
  'arXiv',
);

/** Zaheer et al. 2020 (random and block-sparse global/window/random attention). */
export const bigBird2020: PaperReference = paper(
  'Big Bird: Transformers for Longer Sequences',
  'Zaheer et al.',
  2020,
  'https://arxiv.org/abs/2007.14062',
  'NeurIPS',
);

/** Child, Gray, Radford, Sutskever 2019 (strided and fixed factorized attention). */
export const sparseTransformer2019: PaperReference = paper(
  'Generating Long Sequences with Sparse Transformers',
  'Child, Gray, Radford, Sutskever',
  2019,
  'https://arxiv.org/abs/1904.10509',
  'arXiv',
);

/** Dong, Feng, Guessous, Liang, He 2024 (FlexAttention: mask_mods compiled to block masks). */
export const flexAttention2024: PaperReference = paper(
  'Flex Attention: A Programming Model for Generating Optimized Attention Kernels',
  'Dong, Feng, Guessous, Liang, He',
  2024,
  'https://arxiv.org/abs/2412.05496',
  'arXiv',
);
