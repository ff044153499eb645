/**
 * Short base tasks for the constraint generator, written for this project. Each is a complete
 * request on its own; the generator appends verifiable constraints to it. `question` tasks can be
 * answered yes, no or maybe, so they alone take the "My answer is ..." constraint.
 */
export interface BaseTask {
  /** Stable id, used in prompt provenance: `builtin:<id>` or `arena-hard:<uid>`. */
  id: string;
  text: string;
  kind: 'open' | 'question';
}

const open = (id: string, text: string): BaseTask => ({ id, text, kind: 'open' });
const question = (id: string, text: string): BaseTask => ({ id, text, kind: 'question' });

export const BUILTIN_TASKS: readonly BaseTask[] = [
  open('tide-pools', 'Describe what a child might find in a tide pool at low tide.'),
  open('bread-starter', 'Explain how to keep a sourdough starter alive while on a two-week holiday.'),
  open(
    'lighthouse-keeper',
    'Write a short story about the last night of a lighthouse keeper before the light is automated.',
  ),
  open('bike-commute', 'Give advice to someone who wants to start cycling to work in a hilly city.'),
  open('library-card', 'Write a note persuading a teenager to get a public library card.'),
  open('moon-phases', 'Explain why the Moon shows phases, for a curious ten-year-old.'),
  open('rain-poem', 'Write a poem about the sound of rain on a tin roof.'),
  open('job-rejection', 'Write a kind reply to a job applicant who was not selected for an interview.'),
  open('houseplants', 'Suggest how to care for houseplants in a dark north-facing flat.'),
  open('market-morning', 'Describe a morning at a busy fish market from the point of view of a gull.'),
  open('compost', 'Explain how a backyard compost heap turns kitchen scraps into soil.'),
  open('museum-guide', 'Write a short audio-guide script for a museum room full of old clocks.'),
  open('first-marathon', 'Give a plan for the last week before running a first marathon.'),
  open('time-zones', 'Explain why the world is divided into time zones.'),
  open('lost-umbrella', 'Write a story told by an umbrella that keeps getting left on trains.'),
  open('tea-ceremony', 'Describe how to brew a good pot of loose-leaf black tea.'),
  open('neighbour-noise', 'Write a polite message to a neighbour about late-night drumming.'),
  open('volcano', 'Explain how volcanic islands form in the middle of an ocean.'),
  open('city-park', 'Propose three improvements for a neglected city park.'),
  open('winter-birds', 'Describe how small birds survive cold winter nights.'),
  open('old-photo', 'Write a short scene in which someone finds an old photograph in a second-hand book.'),
  open('budget-week', 'Give tips for eating well for a week on a tight budget.'),
  open('bridges', 'Explain the difference between a suspension bridge and an arch bridge.'),
  open('robot-gardener', 'Write a story about a robot that takes up gardening after it retires.'),
  open('first-aid-kit', 'List what belongs in a basic first-aid kit for a family car, and why.'),
  open('desert-night', 'Describe a night in the desert far from any city lights.'),
  open('thank-teacher', 'Write a thank-you note to a music teacher at the end of the school year.'),
  open('recycling-myths', 'Explain some common mistakes people make when recycling at home.'),
  open('chess-opening', 'Explain to a beginner why controlling the centre matters in chess.'),
  open('ferry-crossing', 'Write a short story set on a night ferry crossing a stormy sea.'),
  open('study-habits', 'Give advice to a student who keeps putting off revision until the last minute.'),
  open('honeybees', 'Explain how honeybees tell each other where to find flowers.'),
  open('town-festival', 'Write an announcement for a small town autumn festival.'),
  open('mountain-hut', 'Describe arriving at a mountain hut after a long day of hiking.'),
  open('password-tips', 'Explain how to choose and remember strong passwords.'),
  open('lemonade-stand', 'Write a story about two siblings who run a lemonade stand during a heatwave.'),
  open('clouds', 'Explain how to tell cumulus, stratus and cirrus clouds apart.'),
  open('apology-late', 'Write an apology to a friend for missing their birthday dinner.'),
  open('bakery-ad', 'Write a short advertisement for a neighbourhood bakery that opens at dawn.'),
  open('night-shift', 'Describe the quiet hours of a hospital night shift from a nurse’s point of view.'),
  open('map-reading', 'Explain how to find your way with a paper map and a compass.'),
  open('fox-city', 'Write a fable about a fox who moves from the forest to the city.'),
  open('remote-meetings', 'Suggest ways to make remote team meetings shorter and more useful.'),
  open('seasons', 'Explain why there are seasons on Earth.'),
  open('grandmother-recipe', 'Write a short story about a recipe passed down through three generations.'),
  open('train-window', 'Describe the view from a train window crossing farmland at sunset.'),
  open('saving-water', 'Give practical ways for a household to use less water.'),
  open('street-musician', 'Write a monologue by a street musician playing in the rain.'),
  open(
    'inventions',
    'Describe an everyday invention that people take for granted and how it changed daily life.',
  ),
  open('welcome-letter', 'Write a welcome letter for new members of a community choir.'),
  question('pineapple-pizza', 'Is pineapple a reasonable topping for pizza? Explain your view.'),
  question('cursive', 'Should schools still teach cursive handwriting? Give your reasoning.'),
  question('four-day-week', 'Would a four-day working week make most offices more productive?'),
  question('cats-dogs', 'Are cats easier to care for than dogs in a small flat?'),
  question('paper-books', 'Will paper books still be common in fifty years?'),
  question('homework', 'Is homework useful for primary school children?'),
  question('city-cars', 'Should city centres ban private cars?'),
  question('learn-latin', 'Is it worth learning Latin today?'),
  question('breakfast', 'Is breakfast really the most important meal of the day?'),
  question('space-tourism', 'Is space tourism a good use of money?'),
  question('uniforms', 'Should secondary school students wear uniforms?'),
  question('handwritten-letters', 'Do handwritten letters still matter in the age of email?'),
];
