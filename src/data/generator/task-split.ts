import { z } from 'zod';

/**
 * Which part of each base-task pool a constraint-generator source draws from. `held-out` is a fixed
 * quarter of every pool (chosen by a hash of the task id, so adding tasks moves no other task), `train`
 * the other three quarters, `all` both. A training source on `train` and an evaluation source on
 * `held-out` share no base task, whatever their seeds and counts.
 */
export const TaskSplit = z.enum(['all', 'train', 'held-out']);
export type TaskSplit = z.infer<typeof TaskSplit>;

/** One task in HELD_OUT_PARTS goes to the held-out part. */
const HELD_OUT_PARTS = 4;

/** FNV-1a over the id's UTF-16 code units: stable across platforms and releases. */
function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Whether the task with this id belongs to the split. */
export function inTaskSplit(taskId: string, split: TaskSplit): boolean {
  if (split === 'all') return true;
  const heldOut = hashId(taskId) % HELD_OUT_PARTS === 0;
  return split === 'held-out' ? heldOut : !heldOut;
}
