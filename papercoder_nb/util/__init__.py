"""Small shared helpers with no papercoder_nb imports: atomic writes, safe parsing, prompt
templates, YAML with sources, model-answer extraction, the CLI error type, failure lines."""
