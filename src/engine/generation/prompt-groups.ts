/**
 * Sequences that start from the same prompt (the G samples of a GRPO group, or repeats) share
 * one prefill: the prompt is computed once and its KV cache copied to the other members. Pure.
 */
export interface PromptGroup {
  /** The prompt's token ids. */
  readonly prompt: readonly number[];
  /** Indices of the sequences that start from it, in request order. */
  readonly members: readonly number[];
}

/**
 * Groups sequence indices by identical prompt, in order of first appearance; a group larger than
 * `maxMembers` (the slots a generation has) is split into consecutive parts of at most that size.
 */
export function groupPrompts(options: {
  prompts: readonly (readonly number[])[];
  maxMembers: number;
}): PromptGroup[] {
  const byKey = new Map<string, { prompt: readonly number[]; members: number[] }>();
  options.prompts.forEach((prompt, i) => {
    const key = prompt.join(',');
    const group = byKey.get(key);
    if (group === undefined) byKey.set(key, { prompt, members: [i] });
    else group.members.push(i);
  });
  const out: PromptGroup[] = [];
  for (const { prompt, members } of byKey.values()) {
    for (let start = 0; start < members.length; start += options.maxMembers) {
      out.push({ prompt, members: members.slice(start, start + options.maxMembers) });
    }
  }
  return out;
}

/**
 * Compaction after some slots of the running block 0..count-1 were freed: moves the last running
 * slots into the holes so that the running ones are again 0..kept-1. Returns the moves, each the
 * slot a sequence leaves and the hole it fills, in an order that never overwrites a running one.
 */
export function compactionMoves(options: { count: number; freed: ReadonlySet<number> }): {
  from: number;
  to: number;
}[] {
  const { count, freed } = options;
  const holes = [...freed].filter((s) => s < count).sort((a, b) => a - b);
  const kept = count - holes.length;
  const moves: { from: number; to: number }[] = [];
  let source = count - 1;
  for (const hole of holes) {
    if (hole >= kept) break;
    while (freed.has(source)) source--;
    moves.push({ from: source, to: hole });
    source--;
  }
  return moves;
}
