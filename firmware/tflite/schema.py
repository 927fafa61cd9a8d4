"""Facts from the TensorFlow Lite flatbuffer schema that the reader needs: enum values and field slots.

Field slots are the field's position in its table declaration; the vtable offset is ``4 + 2 * slot``.
"""

from __future__ import annotations

from enum import IntEnum

# BuiltinOperator values 0..130 in schema order; codes past the list are named ``BUILTIN_<n>``.
_OPERATOR_NAMES_TEXT = (
    "ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE "
    "EMBEDDING_LOOKUP FLOOR FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D "
    "LOCAL_RESPONSE_NORMALIZATION LOGISTIC LSH_PROJECTION LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 "
    "RESHAPE RESIZE_BILINEAR RNN SOFTMAX SPACE_TO_DEPTH SVDF TANH CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM "
    "EMBEDDING_LOOKUP_SPARSE PAD UNIDIRECTIONAL_SEQUENCE_RNN GATHER BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND "
    "TRANSPOSE MEAN SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE BIDIRECTIONAL_SEQUENCE_RNN "
    "EXP TOPK_V2 SPLIT LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM ARG_MAX MINIMUM "
    "LESS NEG PADV2 GREATER GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV SPARSE_TO_DENSE TILE "
    "EXPAND_DIMS EQUAL NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW ARG_MIN FAKE_QUANT REDUCE_PROD REDUCE_MAX "
    "PACK LOGICAL_OR ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK REDUCE_MIN FLOOR_DIV REDUCE_ANY SQUARE "
    "ZEROS_LIKE FILL FLOOR_MOD RANGE RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS "
    "SPLIT_V UNIQUE CEIL REVERSE_V2 ADD_N GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG "
    "QUANTIZE MATRIX_SET_DIAG ROUND HARD_SWISH IF WHILE NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 "
    "SCATTER_ND SELECT_V2 DENSIFY SEGMENT_SUM BATCH_MATMUL PLACEHOLDER_FOR_GREATER_OP_CODES CUMSUM "
    "CALL_ONCE BROADCAST_TO"
)
_OPERATOR_NAMES = tuple(_OPERATOR_NAMES_TEXT.split())


def operator_name(code: int) -> str:
    """The schema name of a builtin operator code."""
    return _OPERATOR_NAMES[code] if 0 <= code < len(_OPERATOR_NAMES) else f"BUILTIN_{code}"


def operator_code(name: str) -> int:
    """The builtin code for a schema operator name."""
    return _OPERATOR_NAMES.index(name)


class TensorType(IntEnum):
    FLOAT32 = 0
    FLOAT16 = 1
    INT32 = 2
    UINT8 = 3
    INT64 = 4
    STRING = 5
    BOOL = 6
    INT16 = 7
    COMPLEX64 = 8
    INT8 = 9
    FLOAT64 = 10


def tensor_type_name(value: int) -> str:
    try:
        return TensorType(value).name
    except ValueError:
        return f"TYPE_{value}"


class Padding(IntEnum):
    SAME = 0
    VALID = 1


class Activation(IntEnum):
    NONE = 0
    RELU = 1
    RELU_N1_TO_1 = 2
    RELU6 = 3
    TANH = 4
    SIGN_BIT = 5


# Option tables the compiler reads, by BuiltinOptions union type:
# (table name, ((field, slot, kind, default), ...)); kinds: i8/u8/bool/i32/f32 scalars, "vi32" int32 vector.
OPTION_TABLES: dict[int, tuple[str, tuple[tuple[str, int, str, object], ...]]] = {
    1: (
        "Conv2DOptions",
        (
            ("padding", 0, "i8", 0),
            ("stride_w", 1, "i32", 0),
            ("stride_h", 2, "i32", 0),
            ("fused_activation_function", 3, "i8", 0),
            ("dilation_w_factor", 4, "i32", 1),
            ("dilation_h_factor", 5, "i32", 1),
            ("quantized_bias_type", 6, "i8", 0),
        ),
    ),
    2: (
        "DepthwiseConv2DOptions",
        (
            ("padding", 0, "i8", 0),
            ("stride_w", 1, "i32", 0),
            ("stride_h", 2, "i32", 0),
            ("depth_multiplier", 3, "i32", 0),
            ("fused_activation_function", 4, "i8", 0),
            ("dilation_w_factor", 5, "i32", 1),
            ("dilation_h_factor", 6, "i32", 1),
        ),
    ),
    5: (
        "Pool2DOptions",
        (
            ("padding", 0, "i8", 0),
            ("stride_w", 1, "i32", 0),
            ("stride_h", 2, "i32", 0),
            ("filter_width", 3, "i32", 0),
            ("filter_height", 4, "i32", 0),
            ("fused_activation_function", 5, "i8", 0),
        ),
    ),
    8: (
        "FullyConnectedOptions",
        (
            ("fused_activation_function", 0, "i8", 0),
            ("weights_format", 1, "i8", 0),
            ("keep_num_dims", 2, "bool", False),
            ("asymmetric_quantize_inputs", 3, "bool", False),
            ("quantized_bias_type", 4, "i8", 0),
        ),
    ),
    9: ("SoftmaxOptions", (("beta", 0, "f32", 0.0),)),
    10: ("ConcatenationOptions", (("axis", 0, "i32", 0), ("fused_activation_function", 1, "i8", 0))),
    11: ("AddOptions", (("fused_activation_function", 0, "i8", 0), ("pot_scale_int16", 1, "bool", True))),
    17: ("ReshapeOptions", (("new_shape", 0, "vi32", ()),)),
    21: ("MulOptions", (("fused_activation_function", 0, "i8", 0),)),
    22: ("PadOptions", ()),
    27: ("ReducerOptions", (("keep_dims", 0, "bool", False),)),
    30: ("SqueezeOptions", (("squeeze_dims", 0, "vi32", ()),)),
    38: ("DequantizeOptions", ()),
    52: ("ExpandDimsOptions", ()),
    89: ("QuantizeOptions", ()),
}


# The options table each supported operator uses; an absent table means all fields take defaults.
OPTIONS_TYPE_BY_OPERATOR = {
    "CONV_2D": 1,
    "DEPTHWISE_CONV_2D": 2,
    "AVERAGE_POOL_2D": 5,
    "MAX_POOL_2D": 5,
    "FULLY_CONNECTED": 8,
    "SOFTMAX": 9,
    "CONCATENATION": 10,
    "ADD": 11,
    "RESHAPE": 17,
    "MUL": 21,
    "PAD": 22,
    "MEAN": 27,
    "SQUEEZE": 30,
}
