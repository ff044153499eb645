import type { BaseTask } from './base-tasks.ts';

/**
 * Creative-writing prompts of Arena-Hard v2.0 used as base tasks by the constraint generator: the
 * English, single-line, short ones whose own wording sets no length, layout or language that the
 * generated constraints could contradict. Copied verbatim (typos included) from
 * lmarena/arena-hard-auto@196f6b826783b3da7310e361a805fa36f0be83f3,
 * data/arena-hard-v2.0/question.jsonl (Apache-2.0), keyed by their `uid`.
 */
export const ARENA_HARD_CREATIVE_TASKS: readonly BaseTask[] = [
  {
    id: 'arena-hard:5ab052c7cef84016',
    kind: 'open',
    text: 'Write a back and forth between a barber and a customer. The customer asked for a tiny bit off the top, but the barber ruined his hair.',
  },
  {
    id: 'arena-hard:2fe3f240e87347c7',
    kind: 'open',
    text: 'Write a 30 second motivational speech about keeping up the effort. Use a short fictional story.',
  },
  {
    id: 'arena-hard:9b24ed15fc49412b',
    kind: 'open',
    text: "write a phone call transcript between a customer and a customer support agent. It's about bill dispute and the customer is very upset and even rude. At the end, the customer gets escalated to the manager.",
  },
  {
    id: 'arena-hard:a6938834dc914871',
    kind: 'open',
    text: 'Write me a freak folk song about love corresponded by encryption and ocassional real visits with the highest amount of internal rhyme and poetic devices possible',
  },
  {
    id: 'arena-hard:cb72e0bbb9f047d5',
    kind: 'open',
    text: 'Write a story in the style of Kurt Vonnegut about a gnome trying to crossing a field without crows taking him.',
  },
  {
    id: 'arena-hard:e8ba8a5d82944b46',
    kind: 'open',
    text: 'write a spooky thrilling dnd first encounter in the bar of pathfinder town of Otari, make some great antagonists for lvl 1s',
  },
  {
    id: 'arena-hard:76ab11208b4e4732',
    kind: 'open',
    text: "Funny poem about calling a teacher's mom after the teacher misbehaved. Make it funny. Show the irony of a bad teacher having too high expectations of young children. Mention spider monkeys.",
  },
  {
    id: 'arena-hard:199ee703dfb7418e',
    kind: 'open',
    text: 'tell me the story of lalaland movie in a beautiful poem. get inspiration from rumi poets',
  },
  {
    id: 'arena-hard:edd55190efb84e27',
    kind: 'open',
    text: 'Invent one encounter for a dnd 5e first level party that involves ice and fire in a creative way. It should be balanced for beginner players.',
  },
  { id: 'arena-hard:0bb6a899b9364d9d', kind: 'open', text: 'Write a riddle for children' },
  {
    id: 'arena-hard:828b48c1755e4718',
    kind: 'open',
    text: 'New Yorker style cartoon captions based on the witcher books',
  },
  {
    id: 'arena-hard:1019d38d9b574873',
    kind: 'open',
    text: 'Hello there. Plaese write me a story based on the following prompt: Voldemort accidentally violates British military airspace, so the RAF introduces itself.',
  },
  {
    id: 'arena-hard:40097ea8b37a4bda',
    kind: 'open',
    text: 'Can you please write me a poem about a lover that is betrayed but continues to love his lover?',
  },
  { id: 'arena-hard:a0a6bb4b819d4a9d', kind: 'open', text: 'Write a tongue twister about cats' },
  { id: 'arena-hard:f5d10c000c9f4131', kind: 'open', text: 'write an upbeat scifi short story' },
  {
    id: 'arena-hard:d4a34066291d423e',
    kind: 'open',
    text: 'write an emotional farewell letter to colleagues and co-workers for being transferring to other department with a new position',
  },
  {
    id: 'arena-hard:b41b45a049d947a7',
    kind: 'open',
    text: 'Create a short Dungeons&Dragons adventure concept, based on the plot of Canto 6 of the game Limbus Company',
  },
  { id: 'arena-hard:4810610d5c3341cb', kind: 'open', text: 'Tell me a story of hope' },
  {
    id: 'arena-hard:b5cd2ab13aa249f5',
    kind: 'open',
    text: 'write a short poem about teamwork with rhyming sylables',
  },
  {
    id: 'arena-hard:f3ee6f09e3db4939',
    kind: 'open',
    text: "koan about a quirky topic of your choosing that wouldn't normally be the subject of one",
  },
  {
    id: 'arena-hard:1f1da13889f44718',
    kind: 'open',
    text: 'Write a story that has a bad ending called "The Worst-est Day Ever!".',
  },
  {
    id: 'arena-hard:a7e53142cfb04757',
    kind: 'open',
    text: 'Write good morning letter from man to the woman about his Friday. Use humour',
  },
  { id: 'arena-hard:0913d8dd7b354e93', kind: 'open', text: 'tell me a fun story today' },
  {
    id: 'arena-hard:3f85a0b5438d41a1',
    kind: 'open',
    text: 'Write a story of Harry Potter waking up as Narcissa Malfoy.',
  },
  {
    id: 'arena-hard:88b8505347374462',
    kind: 'open',
    text: "Hi AI! Please discuss life with me as if we're in the middle of a thrilling and intriguing episode of X Minus One.",
  },
];
