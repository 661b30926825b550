"""Similarity search: "objects like this one", from image embeddings in a nearest-neighbour index.

Each imaged object brighter than a magnitude limit gets a compact embedding: its stamps in
every band, resampled to 32 x 32, normalised and reduced by PCA (:mod:`.embedding`,
:mod:`.build`). The embeddings go into a faiss index stored with the release (:mod:`.index`);
a query finds an object's nearest neighbours in it (:mod:`.query`).
"""

from .build import (
    BUILD_COMMAND,
    SIMILARITY_INDEX_JOB,
    IndexParameters,
    SimilaritySource,
    build_similarity_index,
    similarity_index_work,
)
from .index import (
    INDEX_DIR,
    MANIFEST,
    SimilarityIndex,
    SimilarityIndexMissingError,
    exact_neighbours,
    neighbour_purity,
    recall_at_k,
)
from .query import MATCH_ARCSEC, Neighbours, NotIndexedError, check_k, find_similar

__all__ = [
    "BUILD_COMMAND",
    "INDEX_DIR",
    "MANIFEST",
    "MATCH_ARCSEC",
    "SIMILARITY_INDEX_JOB",
    "IndexParameters",
    "Neighbours",
    "NotIndexedError",
    "SimilarityIndex",
    "SimilarityIndexMissingError",
    "SimilaritySource",
    "build_similarity_index",
    "check_k",
    "exact_neighbours",
    "find_similar",
    "neighbour_purity",
    "recall_at_k",
    "similarity_index_work",
]
