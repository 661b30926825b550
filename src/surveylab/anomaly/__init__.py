"""Anomaly detection: an Extended Isolation Forest (isotree) over catalog features.

:mod:`.features` names and checks the features, :mod:`.model` trains and scores in parallel
(trees and HEALPix partitions on the cutouts' executor) and saves the model, :mod:`.job` is the
``anomaly`` job, :mod:`.online` scores rows as they arrive, :mod:`.evaluate` measures scores
against a truth table.
"""

from .evaluate import evaluate, precision_at_k, recall_at_fraction, top_ids
from .features import DEFAULT_FEATURES, ELLIPTICITY, Feature, FeatureError, parse_features
from .job import ANOMALY_JOB, AnomalySource, anomaly_work, gallery_ids
from .model import MODEL_FILE, MODEL_META, AnomalyModel, AnomalyParameters
from .online import SCORE_COLUMN, score_csv

__all__ = [
    "ANOMALY_JOB",
    "DEFAULT_FEATURES",
    "ELLIPTICITY",
    "MODEL_FILE",
    "MODEL_META",
    "SCORE_COLUMN",
    "AnomalyModel",
    "AnomalyParameters",
    "AnomalySource",
    "Feature",
    "FeatureError",
    "anomaly_work",
    "evaluate",
    "gallery_ids",
    "parse_features",
    "precision_at_k",
    "recall_at_fraction",
    "score_csv",
    "top_ids",
]
