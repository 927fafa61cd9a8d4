"""Test support shipped with the compiler: random Keras models and the TFLM/LiteRT oracles."""
