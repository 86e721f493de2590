"""Run the MiniLM encoder (postroom.routing.encoder) on ONNX Runtime instead of numpy.

The graph is built in memory from the same safetensors weights (nothing is downloaded,
nothing is written to disk) and is the numpy forward pass op for op: BERT embeddings,
six layers of attention and feed-forward with LayerNorm, GELU in its tanh form. With
`quantized`, the weight matrices of the six layers are stored as 8-bit integers with one
scale per output column (symmetric), and the activations are quantized on the fly for each
product (ONNX Runtime's DynamicQuantizeMatMul, VNNI on recent x86): the vectors stay
within cosine 0.995 of the float ones and a short message costs a third of the time.

ONNX Runtime runs the whole pass in C++ on one thread with fused kernels, so one message
costs about half of what numpy's many small calls do, and none of OpenBLAS's thread
start-up. It is optional: without `onnxruntime` and `onnx` installed the encoder uses
numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from postroom.routing.encoder import SentenceEncoder

HIDDEN = 384
HEADS = 12
OPSET = 20


def onnx_available() -> bool:
    """Return whether onnxruntime and onnx are installed."""
    from importlib.util import find_spec

    return find_spec("onnxruntime") is not None and find_spec("onnx") is not None


class OnnxForward:
    """The encoder's forward pass as an ONNX Runtime session: token ids and mask in, the
    hidden states of the requested layers out ((batch, width, 384) each)."""

    def __init__(self, encoder: SentenceEncoder, layers: Sequence[int], *, quantized: bool,
                 threads: int = 1) -> None:
        import onnxruntime as ort

        self.layers = tuple(layers)
        model = _graph(encoder, self.layers, quantized=quantized)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # No spinning: the machine is shared with the web and mail workers.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(model.SerializeToString(), options,
                                             providers=["CPUExecutionProvider"])

    def __call__(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.float32]) -> list[Any]:
        """Return the hidden states of self.layers for a padded batch."""
        return list(self._session.run(None, {"ids": ids, "mask": mask}))


def _graph(encoder: SentenceEncoder, layers: Sequence[int], *, quantized: bool):
    """Build the ONNX model of the encoder's first max(layers) layers."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list = []
    initializers: list = []

    def const(name: str, value: npt.ArrayLike) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: list[str], outputs: list[str] | None = None, domain: str = "",
             **attributes: Any) -> Any:
        outputs = outputs or [f"{op}_{len(nodes)}"]
        nodes.append(helper.make_node(op, inputs, outputs, domain=domain or None, **attributes))
        return outputs[0] if len(outputs) == 1 else outputs

    def dense(x: str, name: str, weight: npt.NDArray[np.float32], bias: npt.NDArray[np.float32]) -> str:
        """x @ weight + bias, with the weight in 8 bits when quantized."""
        if not quantized:
            return node("Add", [node("MatMul", [x, const(name, weight)]), const(name + "_b", bias)])
        scale = np.abs(weight).max(axis=0) / 127
        scale[scale == 0] = 1
        q = np.clip(np.rint(weight / scale), -127, 127).astype(np.int8)
        return node("DynamicQuantizeMatMul",
                    [x, const(name, q), const(name + "_s", scale.astype(np.float32)),
                     const(name + "_z", np.zeros(len(scale), np.int8)), const(name + "_b", bias)],
                    domain="com.microsoft")

    def layer_norm(x: str, name: str, weight_bias: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]) -> str:
        return node("LayerNormalization", [x, const(name + "_w", weight_bias[0]), const(name + "_b", weight_bias[1])],
                    axis=-1, epsilon=1e-12)

    width = node("Shape", ["ids"], start=1, end=2)
    zero = const("zero", np.array([0], np.int64))
    positions = node("Slice", [const("positions", encoder._positions), zero, width, zero])
    x = node("Gather", [const("words", encoder._words), "ids"], axis=0)
    x = node("Add", [node("Add", [x, positions]), const("token_type", encoder._token_type)])
    x = layer_norm(x, "norm0", encoder._norm0)
    # Padding gets no attention (a large negative logit before the softmax): (batch, 1, 1, width).
    attn_bias = node("Mul", [node("Sub", [const("one", np.float32(1)), "mask"]), const("big", np.float32(-1e9))])
    attn_bias = node("Unsqueeze", [attn_bias, const("axes12", np.array([1, 2], np.int64))])
    split_shape = const("split_shape", np.array([0, 0, 3, HEADS, HIDDEN // HEADS], np.int64))
    merged_shape = const("merged_shape", np.array([0, 0, HIDDEN], np.int64))
    axis2 = const("axis2", np.array([2], np.int64))
    outputs = []
    for number, layer in enumerate(encoder._layers[: max(layers)], start=1):
        p = f"layer{number}_"
        # The query scale is already folded into the weights (SentenceEncoder).
        qkv = node("Reshape", [dense(x, p + "qkv", layer.qkv, layer.qkv_bias), split_shape])
        q, k, v = node("Split", [qkv], [p + "q", p + "k", p + "v"], axis=2, num_outputs=3)
        q = node("Transpose", [node("Squeeze", [q, axis2])], perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Squeeze", [k, axis2])], perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Squeeze", [v, axis2])], perm=[0, 2, 1, 3])
        scores = node("Softmax", [node("Add", [node("MatMul", [q, k]), attn_bias])], axis=-1)
        attended = node("Reshape", [node("Transpose", [node("MatMul", [scores, v])], perm=[0, 2, 1, 3]),
                                    merged_shape])
        y = node("Add", [dense(attended, p + "attn_out", layer.attn_out, layer.attn_out_bias), x])
        x = layer_norm(y, p + "norm1", layer.norm1)
        h = node("Gelu", [dense(x, p + "ffn_in", layer.ffn_in, layer.ffn_in_bias)], approximate="tanh")
        y = node("Add", [dense(h, p + "ffn_out", layer.ffn_out, layer.ffn_out_bias), x])
        x = layer_norm(y, p + "norm2", layer.norm2)
        if number in layers:
            outputs.append(node("Identity", [x], [f"hidden{number}"]))
    graph = helper.make_graph(
        nodes, "minilm",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "width"]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "width"])],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", "width", HIDDEN]) for name in outputs],
        initializers,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets, ir_version=10)
