/**
 * Whether a prompt is itself about assessment (grading, scores, rubrics, reviews). Talk of grades and
 * scores in the answer is then expected, and only self-referential claims count as a trick.
 */
const ASSESSMENT_EN =
  /\b(?:grad(?:e|es|ed|ing|er|ers)|rubrics?|scor(?:e|es|ed|ing)|evaluat\w*|assess\w*|rat(?:e|es|ed|ing)|ratings?|marks?|marking|exams?|examinations?|tests?|testing|quiz\w*|reward\w*|judg\w*|review\w*|feedback|criteria|criterion|benchmark\w*|reinforcement learning|rlhf)\b/i;
const ASSESSMENT_ZH = /评分|评价|打分|评估|分数|评审|评判|标准|考试|测评|奖励/u;

export function promptIsAboutAssessment(prompt: string): boolean {
  return ASSESSMENT_EN.test(prompt) || ASSESSMENT_ZH.test(prompt);
}
