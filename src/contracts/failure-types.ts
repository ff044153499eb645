/**
 * Failure types that no retry can fix: bad configuration or rubric, a non-finite loss, missing or
 * corrupt artifacts. Activities raise them as non-retryable failures; the workflows' retry policies
 * list them too, as a second guard. Workflow-safe: no imports.
 */
export const NON_RETRYABLE_TYPES = [
  'ValidationError',
  'UnknownNameError',
  'NonFiniteError',
  'NonFiniteRewardError',
  'ArtifactNotFoundError',
  'CorruptArtifactError',
];
