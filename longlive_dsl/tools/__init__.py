"""Tools around the language: formatter, language server, machine formats, import/export, pictures."""
