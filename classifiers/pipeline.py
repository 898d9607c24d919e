"""The scikit-learn pipeline that is trained: n-grams, context and hand features."""

from __future__ import annotations

from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from classifiers.features import hand_features_of, previous_of, text_of


def build_pipeline(c: float = 2.0, class_weight: str | dict | None = None,
                   context_weight: float = 0.5) -> Pipeline:
    """Word and character n-grams plus hand features, into a logistic regression."""
    words = make_pipeline(
        FunctionTransformer(text_of),
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                        token_pattern=r"(?u)\b\w[\w']*\b|\?"),
    )
    chars = make_pipeline(
        FunctionTransformer(text_of),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=3, sublinear_tf=True,
                        max_features=30000),
    )
    hand = make_pipeline(FunctionTransformer(hand_features_of), DictVectorizer())
    context = make_pipeline(
        FunctionTransformer(previous_of),
        TfidfVectorizer(ngram_range=(1, 1), min_df=3, sublinear_tf=True,
                        token_pattern=r"(?u)\b\w[\w']*\b|\?"),
    )
    return Pipeline([
        ("features", FeatureUnion([("words", words), ("chars", chars), ("hand", hand),
                                   ("context", context)],
                                  transformer_weights={"context": context_weight})),
        ("classify", LogisticRegression(C=c, max_iter=3000, class_weight=class_weight)),
    ])
