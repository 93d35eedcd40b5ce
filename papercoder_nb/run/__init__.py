"""Running the stages: the runner and the model calls of one artifact, budget, pre-flight
estimate and window fit, progress, review rules and what an export would hold."""
