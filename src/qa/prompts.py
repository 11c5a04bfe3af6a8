"""Fixed texts the assistant says."""

ABSTAIN = "The documents don't say. Nothing in them answers: “{question}”"
