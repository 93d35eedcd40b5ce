"""Model backends: one interface (``base``), the embedded llama.cpp model, OpenAI-compatible
and Anthropic endpoints, replay and scripted backends; limits, pricing and the call loop."""
