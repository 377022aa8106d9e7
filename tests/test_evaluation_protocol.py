"""The recommender's per-user evaluation protocol scores a hand-made case as computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.evaluation.recommend import per_user_scores


def test_per_user_scores_by_hand():
    # user 1 liked 10, 20, 30 (and disliked 40); user 2 liked 10 and 40
    ratings = pd.DataFrame(
        {
            "userId": [1, 1, 1, 1, 2, 2],
            "title_id": [10, 20, 30, 40, 10, 40],
            "rating": [5.0, 4.0, 4.5, 2.0, 4.0, 4.0],
        }
    )
    recommendations = {
        10: [20, 50, 60, 70, 80, 30],  # user 1: hit at 1, 30 at rank 6; user 2: 40 missed
        20: [50, 60, 70, 80, 90],  # nothing
        30: [50, 10, 60, 70, 20],  # ranks 2 and 5
        40: [10, 50],  # user 2: hit at rank 1
    }
    scores = per_user_scores(ratings, recommendations, {10, 20, 30, 40, 50, 60, 70, 80, 90})
    d = 1 / np.log2(np.arange(2, 7))
    ndcg = [d[0] / d[:2].sum(), 0.0, (d[1] + d[4]) / d[:2].sum(), 0.0, d[0] / d[:1].sum()]
    assert scores["pairs"] == 5
    assert scores["hit@5"] == pytest.approx(3 / 5)
    assert scores["ndcg@5"] == pytest.approx(np.mean(ndcg))
    assert scores["recall@10"] == pytest.approx(np.mean([1.0, 0.0, 1.0, 0.0, 1.0]))
    shown = {20, 50, 60, 70, 80, 90, 10}
    assert scores["coverage"] == pytest.approx(len(shown) / 9)
