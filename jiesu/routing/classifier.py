"""The text classifier: character n-gram (and optionally jieba word) TF-IDF, a linear SVM, and sigmoid
calibration so that probabilities mean something. Pure scikit-learn; no database inside.

A fitted classifier pickles into RoutingModel.blob; `top_k` gives labels with probabilities and
`explain` the terms that pushed a text towards a label.
"""

import logging
import pickle
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from itertools import repeat

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
    # One SVM on all the data, its sigmoid calibrated on out-of-fold scores (ensemble=False): each
    # calibration-fold SVM would see only 2/3 of the labels, and one SVM predicts 3× cheaper.
    "calibration_ensemble": False,
    # Raw term counts measured better than log counts on the real messages (docs/routing.md).
    "sublinear_tf": False,
    # An n-gram seen in one message only cannot generalise; dropping them shrinks the vocabulary 5× and
    # measured +0.01 macro-F1 on the real messages.
    "min_df": 2,
}


def jieba_tokens(text: str) -> list[str]:
    return [t for t in jieba.lcut(text) if t.strip()]


# Words that occur in most messages and explain nothing about where one should go.
_EMPTY_WORDS = frozenset(
    "已经 我们 你们 他们 这个 那个 一个 没有 什么 请求 反映 希望 现在 非常 还是 可以 问题 情况 相关 进行 要求 尽快 "
    "目前 一直 每天 时候 这里 那里 自己 之后 以后 怎么 为什么 如何 是否 有关 部门 处理 解决 市民 来电 只有 已经".split()
)


def whole_words(contributions: dict[str, float], text: str, n: int) -> list[str]:
    """The explanation in whole words of the text (jieba): each word is credited with the weight of every feature
    found where it stands in the text, in proportion to the characters they share (a character n-gram like 出行不
    credits 出行 and 不便; 用人行 credits 占用 and 人行道), so what is shown reads as words the caller used, never
    a broken n-gram. Best first."""
    owner: list[str | None] = [None] * len(text)  # the kept word each character belongs to (jieba's words never overlap)
    score: dict[str, float] = {}
    for word, start, end in jieba.tokenize(text):
        if len(word) > 1 and _WORDLIKE.fullmatch(word) and word not in _EMPTY_WORDS:
            owner[start:end] = [word] * (end - start)
            score[word] = 0.0
    for term, weight in contributions.items():
        share = weight / len(term)
        at = text.find(term)
        while at >= 0:
            for word in owner[at:at + len(term)]:
                if word is not None:
                    score[word] += share
            at = text.find(term, at + 1)
    ranked = sorted((w for w in score if score[w] > 0), key=lambda w: -score[w])
    return ranked[:n]


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
            ("char", TfidfVectorizer(analyzer="char", ngram_range=(lo, hi), sublinear_tf=self.params["sublinear_tf"],
                                     min_df=self.params.get("min_df", 1)))
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
        self.model = CalibratedClassifierCV(
            base, method="sigmoid", cv=max(folds, 2), ensemble=self.params.get("calibration_ensemble", True)
        ).fit(matrix, labels)
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self._proba_docs([normalize(t) for t in texts])

    def _proba_docs(self, docs: list[str]) -> np.ndarray:
        fast = self._fast()
        if fast is None:
            return self.model.predict_proba(self.features.transform(docs))
        if len(docs) == 1:  # the intake form's case: skip sklearn's per-call machinery
            indices, values = self._vectorize(docs[0])
            scores = values @ fast["W"][indices] + fast["b"]
            return self._calibrate(scores[np.newaxis, :])
        return self._calibrate(self.features.transform(docs) @ fast["W"] + fast["b"])

    # The same arithmetic as TfidfVectorizer.transform and CalibratedClassifierCV.predict_proba (sigmoid,
    # multiclass), with the folds' SVM weights stacked in one matrix; tests check both give the same numbers.

    def _fast(self) -> dict | None:
        cached = self.__dict__.get("_fast_cache")
        if cached is not None:
            return cached or None
        classes = list(self.model.classes_)
        folds = self.model.calibrated_classifiers_
        usable = len(classes) > 2 and all(list(c.estimator.classes_) == classes for c in folds)
        if not usable:
            self.__dict__["_fast_cache"] = {}
            return None
        self.__dict__["_fast_cache"] = {
            "W": np.hstack([c.estimator.coef_.T for c in folds]),
            "b": np.concatenate([c.estimator.intercept_ for c in folds]),
            "a": np.array([[cal.a_ for cal in c.calibrators] for c in folds]),
            "c": np.array([[cal.b_ for cal in c.calibrators] for c in folds]),
        }
        return self.__dict__["_fast_cache"]

    def _analyzer(self, vec):
        analyzers = self.__dict__.setdefault("_analyzers", {})
        if id(vec) not in analyzers:
            analyzers[id(vec)] = vec.build_analyzer()
        return analyzers[id(vec)]

    def _names(self) -> np.ndarray:
        names = self.__dict__.get("_names_cache")
        if names is None:
            names = self.__dict__["_names_cache"] = self.features.get_feature_names_out()
        return names

    def _vectorize(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        # A prediction vectorizes its text twice (top_k, then explain): keep the last one.
        last = self.__dict__.get("_last_vector")
        if last is not None and last[0] == doc:
            return last[1]
        vector = self._vectorize_anew(doc)
        self.__dict__["_last_vector"] = (doc, vector)  # one tuple: threads see the old pair or the new one
        return vector

    def _vectorize_anew(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        parts = [vec for _, vec in self.features.transformer_list]
        offsets = np.cumsum([0] + [len(vec.vocabulary_) for vec in parts])
        all_indices, all_values = [], []
        for vec, offset in zip(parts, offsets, strict=False):
            analyzer, vocabulary, idf = self._analyzer(vec), vec.vocabulary_, vec.idf_
            # Count in C first, then look each distinct n-gram up once, without a Python loop (map over
            # dict.get); n-grams the model never saw come back as -1 and are dropped.
            counts = Counter(analyzer(doc))
            indices = np.fromiter(map(vocabulary.get, counts, repeat(-1, len(counts))), dtype=np.int64,
                                  count=len(counts))
            known = indices >= 0
            if not known.any():
                continue
            indices = indices[known]
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))[known]
            if vec.sublinear_tf:
                tf = np.log(tf) + 1
            values = tf * idf[indices]
            norm = np.sqrt(values @ values)
            all_indices.append(indices + offset)
            all_values.append(values / norm if norm else values)
        if not all_indices:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(all_indices), np.concatenate(all_values)

    def _calibrate(self, scores: np.ndarray) -> np.ndarray:
        fast = self._fast()
        folds, classes = fast["a"].shape
        decision = np.asarray(scores).reshape(len(scores), folds, classes)
        proba = 1.0 / (1.0 + np.exp(fast["a"] * decision + fast["c"]))  # expit(-(a·d + b)) per fold and class
        total = proba.sum(axis=2, keepdims=True)
        proba = np.divide(proba, total, out=np.full_like(proba, 1 / classes), where=total != 0)
        return proba.mean(axis=1)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_fast_cache", None)  # rebuilt on first use; keeps the stored model small
        state.pop("_names_cache", None)
        state.pop("_analyzers", None)
        state.pop("_last_vector", None)
        return state

    def top_k(self, text: str, k: int = 3) -> list[Suggestion]:
        """The k likeliest labels, or [] when the text gives nothing to judge by (无法判断)."""
        doc = normalize(text)
        if not is_judgeable(doc):
            return []
        probabilities = self._proba_docs([doc])[0]
        order = np.argsort(probabilities)[::-1][:k]
        return [Suggestion(self.labels[i], float(probabilities[i])) for i in order]

    def explain(self, text: str, label: str, n: int = 5) -> list[str]:
        """The n features of this text that pushed it most towards `label` (weights averaged over the
        calibration SVMs: one, or one per fold for models trained with calibration_ensemble)."""
        index = self.labels.index(label)
        indices, values = self._vectorize(normalize(text))
        weights = np.mean(
            [self._class_weights(c.estimator.coef_, index)[indices] for c in self.model.calibrated_classifiers_],
            axis=0,
        )
        contribution = values * weights
        names = self._names()
        positive = {}
        for i in np.argsort(contribution)[::-1][: n * 8]:
            if contribution[i] <= 0:
                break
            positive[names[indices[i]].split("__", 1)[-1].strip()] = float(contribution[i])
        return whole_words(positive, normalize(text), n)

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
