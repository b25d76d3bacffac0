import type { PublishedFigure } from './types.ts';
import { GOOGLE_2021 } from './google-2021.ts';
import { MATLACK_2022 } from './matlack-2022.ts';
import { OTHER_FIGURES } from './other.ts';
import { XIAO_2012 } from './xiao-2012.ts';

/** Every published figure the model is checked against, by source. */
export const PUBLISHED_FIGURES: readonly PublishedFigure[] = [
  ...MATLACK_2022,
  ...GOOGLE_2021,
  ...XIAO_2012,
  ...OTHER_FIGURES,
];

/** The figure with `id`; throws naming the known ids when there is none. */
export function figure(id: string): PublishedFigure {
  const f = PUBLISHED_FIGURES.find((x) => x.id === id);
  if (!f) {
    throw new Error(
      `unknown published figure: ${id}; known: ${PUBLISHED_FIGURES.map((x) => x.id).join(', ')}`,
    );
  }
  return f;
}
