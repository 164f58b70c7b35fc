"""The text classifier: character n-gram (and optionally jieba word) TF-IDF, a linear SVM, and sigmoid
calibration so that probabilities mean something. Pure scikit-learn; no database inside.

A fitted classifier pickles into RoutingModel.blob; `top_k` gives labels with probabilities and
`explain` the terms that pushed a text towards a label.
"""

import logging
import pickle
import re
import zlib
from dataclasses import dataclass, field

import jieba
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from .text import is_judgeable, normalize

jieba.setLogLevel(logging.WARNING)
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]+")

DEFAULT_PARAMS = {
    "char_ngrams": [1, 3],
    "words": False,
    "C": 5.0,
    "calibration_folds": 3,
    "sublinear_tf": True,
}


def jieba_tokens(text: str) -> list[str]:
    return [t for t in jieba.lcut(text) if t.strip()]


@dataclass
class Suggestion:
    label: str
    probability: float


@dataclass
class TextClassifier:
    params: dict = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    features: FeatureUnion | None = None
    model: CalibratedClassifierCV | None = None

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.model.classes_]

    def _features(self) -> FeatureUnion:
        lo, hi = self.params["char_ngrams"]
        parts = [
            ("char", TfidfVectorizer(analyzer="char", ngram_range=(lo, hi), sublinear_tf=self.params["sublinear_tf"]))
        ]
        if self.params["words"]:
            parts.append((
                "word",
                TfidfVectorizer(tokenizer=jieba_tokens, token_pattern=None, lowercase=False,
                                sublinear_tf=self.params["sublinear_tf"]),
            ))
        return FeatureUnion(parts)

    def fit(self, texts: list[str], labels: list[str]) -> "TextClassifier":
        docs = [normalize(t) for t in texts]
        self.features = self._features()
        matrix = self.features.fit_transform(docs)
        counts = np.unique(labels, return_counts=True)[1]
        folds = int(min(self.params["calibration_folds"], counts.min()))
        base = LinearSVC(C=self.params["C"])
        self.model = CalibratedClassifierCV(base, method="sigmoid", cv=max(folds, 2)).fit(matrix, labels)
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.model.predict_proba(self.features.transform([normalize(t) for t in texts]))

    def top_k(self, text: str, k: int = 3) -> list[Suggestion]:
        """The k likeliest labels, or [] when the text gives nothing to judge by (无法判断)."""
        if not is_judgeable(normalize(text)):
            return []
        probabilities = self.predict_proba([text])[0]
        order = np.argsort(probabilities)[::-1][:k]
        return [Suggestion(self.labels[i], float(probabilities[i])) for i in order]

    def explain(self, text: str, label: str, n: int = 5) -> list[str]:
        """The n features of this text that pushed it most towards `label` (weights averaged over the
        calibration folds' SVMs)."""
        vector = self.features.transform([normalize(text)])
        index = self.labels.index(label)
        coef = np.mean([self._class_weights(c.estimator.coef_, index) for c in self.model.calibrated_classifiers_],
                       axis=0)
        contribution = vector.multiply(coef).tocsr()
        names = self.features.get_feature_names_out()
        candidates = []
        for i in np.argsort(contribution.data)[::-1][: n * 4]:
            if contribution.data[i] <= 0:
                break
            term = names[contribution.indices[i]].split("__", 1)[-1].strip()
            if len(term) > 1 and _WORDLIKE.fullmatch(term) and term not in candidates:
                candidates.append(term)
        # Overlapping character n-grams say the same thing: keep the longest.
        terms = [t for t in candidates if not any(t != other and t in other for other in candidates)]
        return terms[:n]

    @staticmethod
    def _class_weights(coef: np.ndarray, index: int) -> np.ndarray:
        # With two classes a linear SVM keeps one weight vector, for the second class.
        if coef.shape[0] == 1:
            return coef[0] if index == 1 else -coef[0]
        return coef[index]

    def dumps(self) -> bytes:
        return zlib.compress(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))

    @staticmethod
    def loads(blob: bytes) -> "TextClassifier":
        return pickle.loads(zlib.decompress(blob))  # noqa: S301 - our own models, from our own database
