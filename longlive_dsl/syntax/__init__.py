"""Text to AST: the Lark parser for grammar/llv.lark, its AST and friendly syntax errors."""

from .ast import Comment, Define, Document, End, Scene, Seed, Shot, Text, Timing, Title
from .parser import parse

__all__ = ["Comment", "Define", "Document", "End", "Scene", "Seed", "Shot", "Text", "Timing", "Title", "parse"]
