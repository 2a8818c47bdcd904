"""The one exception type services raise for a rule the user broke.

It carries a translatable message (a TranslationString) that views translate at the edge,
so the user reads it in their own language. Raising it means nothing was changed.
"""
from translationstring import TranslationString


class DomainError(Exception):
    def __init__(self, message: TranslationString, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
