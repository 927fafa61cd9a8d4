"""Learning blocks: neural-network classifier and regression, K-means and GMM anomaly detection.

``LEARN_BLOCKS`` maps a block id to its declaration; training, export and evaluation live in
``train``, ``anomaly``, ``export`` and ``evaluate`` (those import TensorFlow, this package does not).
"""

from workers.learn.blocks import LEARN_BLOCKS, InvalidParameter, LearnBlock, Parameter

__all__ = ["LEARN_BLOCKS", "InvalidParameter", "LearnBlock", "Parameter"]
