/** A position in a newest-first list: the last row a client saw. */
export interface KeysetPosition {
  createdAt: Date;
  id: string;
}

export interface PageQuery {
  limit: number;
  after?: KeysetPosition;
}

/** Rows strictly after `after` in (created_at DESC, id DESC) order. */
export function afterPosition(after: KeysetPosition | undefined) {
  if (!after) return {};
  return { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] };
}

export const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];
