"""Benchmark: the classifier alone (rules and model, no parsing or start-up), in utterances
per second, on every utterance of the team's corpus; and the segmenter on its turns.

    python benchmarks/classifier_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time

from classifiers.coder import Coder
from classifiers.corpus import read_corpus
from classifiers.rules import matching_rules
from classifiers.segmenter import split_utterances
from classifiers.training import in_context


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    utterances = read_corpus()
    records = in_context(utterances)
    coder = Coder.load()
    texts = [u.text for u in utterances]
    best_classify = best_segment = float("inf")
    for _ in range(args.repeat):
        matching_rules.cache_clear()
        t0 = time.perf_counter()
        coder.classify(records)
        best_classify = min(best_classify, time.perf_counter() - t0)
        t0 = time.perf_counter()
        split_utterances(texts)
        best_segment = min(best_segment, time.perf_counter() - t0)
    n = len(records)
    print(f"classifier ({coder.model_name} {coder.model_version}): {n} utterances in "
          f"{best_classify:.2f} s = {n / best_classify:.0f} utterances/s; "
          f"segmenter: {n / best_segment:.0f} texts/s (best of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
