"""The .llv grammar (llv.lark), shipped inside the package as data."""
