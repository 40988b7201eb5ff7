"""List dictionary words that fuzzy matching would read as a term: candidates for fuzzy.stop_words.

    python -m triage.stopword_check /usr/share/dict/british-english [rules-folder]

Prints each real word with the term it would match. Words that are simply misspellings-to-be or
forms of the term (plurals) can stay; other words belong in fuzzy.stop_words in language.yaml.
"""

from __future__ import annotations

import sys
from pathlib import Path

from triage.loader import load_rules


def fuzzy_lookalikes(dictionary: Path, rules_folder: str | None = None) -> list[tuple[str, str, float]]:
    rules = load_rules(rules_folder)
    words = {
        line.strip().lower() for line in dictionary.read_text(encoding="utf-8", errors="ignore").splitlines()
    }
    found = []
    for word in sorted(words):
        if word.isascii() and word.isalpha():
            match = rules.fuzzy.closest(word)
            if match:
                found.append((word, match[0], match[1]))
    return found


def main(arguments: list[str]) -> int:
    if not arguments:
        print(__doc__)
        return 2
    for word, target, score in fuzzy_lookalikes(
        Path(arguments[0]), arguments[1] if len(arguments) > 1 else None
    ):
        print(f"{word}\t{target}\t{score:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
