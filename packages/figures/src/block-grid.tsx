import { type ReactNode, useMemo } from 'react';
import { type BlockLayout, type BlockState, blockStates } from './block-states.js';
import { sequentialColor } from './color-scale.js';

/** Props of {@link BlockGrid}. */
export interface BlockGridProps {
  /** A `BlockMask` from `createBlockMask` (any object with its block lists). */
  mask: BlockLayout;
  /** Accessible name. */
  label: string;
  caption?: ReactNode;
  /** Plane to show. Default 0. */
  batch?: number;
  /** Plane to show. Default 0. */
  head?: number;
  /** Largest side in px. Default 200. */
  size?: number;
}

const LEVEL: Record<BlockState, number> = { empty: 0, partial: 1, full: 2 };
// Three levels of cividis: dark blue (skipped), grey (partial), yellow (full) — distinct without colour vision.
const color = sequentialColor([0, 2], 'cividis');

/**
 * The blocks of a block mask as an SVG grid: full blocks (computed without a mask), partial blocks
 * (computed with a bitmask) and empty blocks (skipped), with a legend giving the count of each.
 *
 * @example
 * ```tsx
 * <BlockGrid mask={createBlockMask(slidingWindow({ radius: 8 }), 64, 64, { blockSize: 8 })} label="Blocks" />
 * ```
 */
export function BlockGrid({ mask, label, caption, batch = 0, head = 0, size = 200 }: BlockGridProps) {
  const { states, counts } = useMemo(() => blockStates(mask, batch, head), [mask, batch, head]);
  const rows = states.length;
  const columns = states[0]?.length ?? 0;
  const cell = Math.max(2, Math.floor(size / Math.max(rows, columns, 1)));
  const total = rows * columns;
  return (
    <figure className="ea-block-grid" style={{ margin: 0 }}>
      <svg
        width={cell * columns}
        height={cell * rows}
        role="img"
        aria-label={`${label}: ${rows} × ${columns} blocks of ${mask.blockSize}; ${counts.full} full, ${counts.partial} partial, ${counts.empty} empty`}
      >
        {states.flatMap((row, r) =>
          row.map((s, c) => (
            <rect
              // biome-ignore lint/suspicious/noArrayIndexKey: a grid cell is its position.
              key={`${r}-${c}`}
              x={c * cell}
              y={r * cell}
              width={cell - (cell > 4 ? 1 : 0)}
              height={cell - (cell > 4 ? 1 : 0)}
              fill={color(LEVEL[s])}
              data-state={s}
            />
          )),
        )}
      </svg>
      <ul className="ea-block-legend" style={{ listStyle: 'none', padding: 0, display: 'flex', gap: 12 }}>
        {(['full', 'partial', 'empty'] as const).map((s) => (
          <li key={s}>
            <svg width={12} height={12} aria-hidden="true">
              <rect width={12} height={12} fill={color(LEVEL[s])} />
            </svg>{' '}
            {s}: <span data-testid={`blocks-${s}`}>{counts[s]}</span>
          </li>
        ))}
        <li>
          skipped:{' '}
          <span data-testid="blocks-skipped">
            {total === 0 ? '0' : ((100 * counts.empty) / total).toFixed(2)}%
          </span>
        </li>
      </ul>
      {caption !== undefined && <figcaption>{caption}</figcaption>}
    </figure>
  );
}
