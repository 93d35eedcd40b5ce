"""Static readers: everything that reads generated code without running it (the cross-file
checker, the safety scan and gate, config keys, entry points, requirements, tracebacks)."""
