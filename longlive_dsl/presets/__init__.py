"""Starter storyboards for `llv new` (package data: the .llv files beside this one)."""
