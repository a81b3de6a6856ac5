"""The GGUF validator: crafted good and broken files, gguf-py's writer, and the real demo model."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest

from desktop_app.core.models.gguf import (
    FILE_TYPE_NAMES,
    GGML_TYPES,
    GGUFError,
    format_parameter_count,
    read_gguf_info,
    read_model_info,
)
from tests.core.models.gguf_files import (
    ARRAY,
    F32,
    INT32,
    KV,
    Q4_K,
    STRING,
    UINT8,
    UINT32,
    Tensor,
    build_gguf,
    gguf_string,
    model_metadata,
    model_tensors,
    write_gguf,
    write_split_model,
)

HUGE = 2**63


def _error(path: Path) -> str:
    with pytest.raises(GGUFError) as caught:
        read_gguf_info(path)
    return str(caught.value)


def test_valid_crafted_file_reports_its_facts(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "tiny.gguf", model_metadata(chat_template="{{ messages }}"))
    info = read_gguf_info(path)
    assert info.version == 3
    assert info.architecture == "llama"
    assert info.name == "Tiny Test"
    assert info.context_length == 4096
    assert info.block_count == 2
    assert info.embedding_length == 64
    assert (info.head_count, info.head_count_kv) == (4, 2)
    # No key_length in the file: embedding / heads, as llama.cpp does.
    assert (info.key_length, info.value_length) == (16, 16)
    assert info.chat_template == "{{ messages }}"
    assert (info.bos_token_id, info.eos_token_id) == (1, 2)
    assert (info.bos_token, info.eos_token) == ("<s>", "</s>")
    assert info.quantization == "Q4_K_M"
    assert info.file_type == 15
    assert info.tensor_count == 5
    assert info.parameter_count == 64 * 7 + 256 * 64 + 256 * 32 + 256 * 8 + 64
    assert info.size_label == "27K"
    assert info.file_size == path.stat().st_size
    assert info.data_offset % 32 == 0
    assert info.metadata["tokenizer.ggml.model"] == "llama"
    assert "tokenizer.ggml.tokens" not in info.metadata


def test_quantization_falls_back_to_the_commonest_weight_type(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "m.gguf", model_metadata(file_type=None))
    assert read_gguf_info(path).quantization == "Q4_K"


def test_explicit_key_length_and_size_label_win(tmp_path: Path) -> None:
    extra = [KV("llama.attention.key_length", UINT32, 128),
             KV("llama.attention.value_length", UINT32, 96),
             KV("general.size_label", STRING, "7B")]
    info = read_gguf_info(write_gguf(tmp_path / "m.gguf", model_metadata(extra=extra)))
    assert (info.key_length, info.value_length, info.size_label) == (128, 96, "7B")


def test_per_layer_head_counts_use_the_largest(tmp_path: Path) -> None:
    metadata = [kv for kv in model_metadata() if kv.key != "llama.attention.head_count_kv"]
    metadata.append(KV("llama.attention.head_count_kv", ARRAY, (INT32, [1, 3])))
    assert read_gguf_info(write_gguf(tmp_path / "m.gguf", metadata)).head_count_kv == 3


def test_token_ids_outside_the_vocabulary_have_no_text(tmp_path: Path) -> None:
    info = read_gguf_info(write_gguf(tmp_path / "m.gguf", model_metadata(bos=99, eos=None)))
    assert info.bos_token_id == 99
    assert info.bos_token is None
    assert info.eos_token is None


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gguf"
    path.write_bytes(b"")
    assert "not a GGUF file" in _error(path)


def test_wrong_magic(tmp_path: Path) -> None:
    path = tmp_path / "page.gguf"
    path.write_bytes(b"<!DOCTYPE html><html>Sign in to continue</html>")
    assert _error(path) == "not a GGUF file: it does not start with 'GGUF'"


def test_big_endian_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "be.gguf"
    path.write_bytes(b"GGUF" + struct.pack(">IQQ", 3, 0, 0))
    assert "big-endian" in _error(path)


def test_old_and_unknown_versions(tmp_path: Path) -> None:
    assert "version 1" in _error(write_gguf(tmp_path / "v1.gguf", version=1))
    assert "unknown GGUF format version 7" in _error(write_gguf(tmp_path / "v7.gguf", version=7))


def test_version_2_is_accepted(tmp_path: Path) -> None:
    assert read_gguf_info(write_gguf(tmp_path / "v2.gguf", version=2)).version == 2


def test_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "cut.gguf"
    path.write_bytes(build_gguf()[:100])
    message = _error(path)
    assert message.startswith("incomplete download: the file ends at byte 100")


def test_truncated_tensor_data_names_the_tensor(tmp_path: Path) -> None:
    full = build_gguf()
    path = tmp_path / "cut.gguf"
    path.write_bytes(full[:-10])
    message = _error(path)
    assert message == (f"incomplete download: the file ends at byte {len(full) - 10} but tensor "
                       f"'output_norm.weight' needs bytes up to {len(full)}")


def test_absurd_tensor_count_fails_fast(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "m.gguf", tensor_count=HUGE)
    started = time.perf_counter()
    message = _error(path)
    assert time.perf_counter() - started < 0.5
    assert message.startswith("corrupted at byte 8: the tensor count is 9223372036854775808")


def test_tensor_count_above_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.core.models import gguf

    monkeypatch.setattr(gguf, "MAX_TENSORS", 3)
    message = _error(write_gguf(tmp_path / "m.gguf"))
    assert message == "corrupted at byte 8: the tensor count is 5, more than any model has (3)"


def test_absurd_metadata_count_fails_fast(tmp_path: Path) -> None:
    message = _error(write_gguf(tmp_path / "m.gguf", kv_count=HUGE))
    assert message.startswith("corrupted at byte 16: the metadata count is 9223372036854775808")


def test_absurd_string_length(tmp_path: Path) -> None:
    kv = KV("general.description", STRING, raw=struct.pack("<Q", HUGE) + b"abc")
    message = _error(write_gguf(tmp_path / "m.gguf", [*model_metadata(), kv]))
    assert message.startswith("corrupted at byte")
    assert "the length of the value of 'general.description' is 9223372036854775808" in message


def test_absurd_array_length(tmp_path: Path) -> None:
    kv = KV("general.tags", ARRAY, raw=struct.pack("<IQ", STRING, HUGE))
    message = _error(write_gguf(tmp_path / "m.gguf", [kv, *model_metadata()]))
    assert "the length of 'general.tags' is 9223372036854775808" in message


def test_string_length_past_end_of_file(tmp_path: Path) -> None:
    # A plausible length that the file is too short to hold: cut off mid-header.
    blob = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gguf_string("general.name")
    blob += struct.pack("<IQ", STRING, 1000) + b"only a few bytes"
    path = tmp_path / "m.gguf"
    path.write_bytes(blob)
    assert _error(path) == (f"incomplete download: the file ends at byte {len(blob)} but the "
                            f"value of 'general.name' needs bytes up to {len(blob) - 16 + 1000}")


def test_string_in_array_past_end(tmp_path: Path) -> None:
    blob = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gguf_string("tokenizer.ggml.tokens")
    blob += struct.pack("<IIQ", ARRAY, STRING, 2) + gguf_string("a") + struct.pack("<Q", 500)
    path = tmp_path / "m.gguf"
    path.write_bytes(blob)
    message = _error(path)
    assert "item 1 of the array 'tokenizer.ggml.tokens'" in message
    assert message.startswith("incomplete download")


def test_tensor_offset_past_end(tmp_path: Path) -> None:
    tensors = model_tensors()
    tensors[-1].offset = 10**9
    message = _error(write_gguf(tmp_path / "m.gguf", tensors=tensors))
    assert "tensor 'output_norm.weight' claims data offset 1000000000" in message
    assert message.startswith("corrupted at byte")


def test_single_tensor_offset_past_end_is_an_incomplete_file(tmp_path: Path) -> None:
    # One tensor, so its offset must be 0; a file too short for it reads as cut off.
    path = write_gguf(tmp_path / "m.gguf", tensors=[Tensor("w", [1024, 1024], F32)],
                      cut_data=4 * 1024 * 1024 - 100)
    assert "tensor 'w' needs bytes up to" in _error(path)


def test_too_many_dimensions(tmp_path: Path) -> None:
    tensors = [Tensor("w", [1] * 99, F32, n_dims=99)]
    assert "tensor 'w' has 99 dimensions (at most 4" in _error(
        write_gguf(tmp_path / "m.gguf", tensors=tensors))


def test_unknown_tensor_type(tmp_path: Path) -> None:
    tensors = [Tensor("w", [32], F32)]
    blob = bytearray(build_gguf(tensors=tensors))
    # Patch the type field (after name, n_dims and one dim) to 200.
    at = blob.index(gguf_string("w")) + len(gguf_string("w")) + 4 + 8
    blob[at:at + 4] = struct.pack("<I", 200)
    path = tmp_path / "m.gguf"
    path.write_bytes(bytes(blob))
    assert "tensor 'w' has unknown data type 200" in _error(path)


def test_row_not_a_multiple_of_block_size(tmp_path: Path) -> None:
    tensors = [Tensor("w", [100, 2], Q4_K)]
    blob = build_gguf(tensors=tensors)
    path = tmp_path / "m.gguf"
    path.write_bytes(blob)
    assert "not a multiple of its block size 256" in _error(path)


def test_unknown_value_type(tmp_path: Path) -> None:
    kv = KV("general.weird", 42, raw=b"\0" * 8)
    assert "the value of 'general.weird' has unknown type 42" in _error(
        write_gguf(tmp_path / "m.gguf", [*model_metadata(), kv]))


def test_nested_arrays_are_walked(tmp_path: Path) -> None:
    nested = KV("general.matrix", ARRAY, (ARRAY, [(UINT8, [1, 2]), (STRING, ["a", "bc"])]))
    info = read_gguf_info(write_gguf(tmp_path / "m.gguf", [nested, *model_metadata()]))
    assert info.architecture == "llama"
    assert "general.matrix" not in info.metadata


def test_arrays_nested_too_deep(tmp_path: Path) -> None:
    value: tuple[int, list[object]] = (UINT8, [1])
    for _ in range(5):
        value = (ARRAY, [value])
    kv = KV("general.deep", ARRAY, value)
    assert "nests arrays more than 4 deep" in _error(
        write_gguf(tmp_path / "m.gguf", [kv, *model_metadata()]))


def test_duplicate_key(tmp_path: Path) -> None:
    metadata = [*model_metadata(), KV("general.name", STRING, "again")]
    assert "'general.name' appears twice" in _error(write_gguf(tmp_path / "m.gguf", metadata))


def test_missing_architecture(tmp_path: Path) -> None:
    metadata = [kv for kv in model_metadata() if kv.key != "general.architecture"]
    assert "general.architecture" in _error(write_gguf(tmp_path / "m.gguf", metadata))


def test_bad_alignment(tmp_path: Path) -> None:
    metadata = [*model_metadata(), KV("general.alignment", UINT32, 24)]
    assert "not a power of two" in _error(write_gguf(tmp_path / "m.gguf", metadata))


def test_custom_alignment_is_honoured(tmp_path: Path) -> None:
    metadata = [*model_metadata(), KV("general.alignment", UINT32, 64)]
    info = read_gguf_info(write_gguf(tmp_path / "m.gguf", metadata, alignment=64))
    assert info.alignment == 64
    assert info.data_offset % 64 == 0


def test_metadata_larger_than_the_cap_is_refused(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.core.models import gguf

    monkeypatch.setattr(gguf, "MAX_METADATA_BYTES", 1000)
    kv = KV("general.description", STRING, "x" * 2000)
    message = _error(write_gguf(tmp_path / "m.gguf", [*model_metadata(), kv]))
    assert "larger than" in message


def test_type_tables_match_gguf_py() -> None:
    from gguf.constants import GGML_QUANT_SIZES, LlamaFileType

    for qtype, (block, size) in GGML_QUANT_SIZES.items():
        ours = GGML_TYPES[qtype.value]
        assert (ours.name, ours.block_size, ours.type_size) == (qtype.name, block, size)
    for file_type in LlamaFileType:
        if file_type.value in FILE_TYPE_NAMES:
            expected = file_type.name.removeprefix("MOSTLY_").removeprefix("ALL_")
            assert FILE_TYPE_NAMES[file_type.value] == expected


def test_file_written_by_gguf_py_agrees(tmp_path: Path) -> None:
    import gguf
    import numpy as np

    path = tmp_path / "py.gguf"
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_name("Py Model")
    writer.add_context_length(32768)
    writer.add_block_count(3)
    writer.add_embedding_length(32)
    writer.add_head_count(2)
    writer.add_head_count_kv(1)
    writer.add_token_list(["a", "<|im_start|>", "<|im_end|>"])
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_chat_template("{% for m in messages %}{{ m.content }}{% endfor %}")
    writer.add_tensor("token_embd.weight", np.ones((3, 32), dtype=np.float32))
    writer.add_tensor("blk.0.attn_norm.weight", np.ones(32, dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    info = read_gguf_info(path)
    assert (info.architecture, info.name, info.context_length) == ("qwen2", "Py Model", 32768)
    assert (info.eos_token_id, info.eos_token) == (2, "<|im_end|>")
    assert info.chat_template is not None
    assert info.parameter_count == 3 * 32 + 32
    assert info.tensor_count == 2
    assert info.quantization == "F32"


@pytest.mark.parametrize(("count", "label"), [
    (950, "950"), (25_000, "25K"), (268_098_176, "268M"), (1_543_000_000, "1.5B"),
    (7_000_000_000, "7B"), (70_553_706_496, "70.6B"),
])
def test_format_parameter_count(count: int, label: str) -> None:
    assert format_parameter_count(count) == label


def test_demo_model_header(demo_model_path: Path) -> None:
    started = time.perf_counter()
    info = read_gguf_info(demo_model_path)
    assert time.perf_counter() - started < 1.0
    assert info.architecture == "gemma3"
    assert info.name == "Gemma 3 270m"
    assert info.size_label == "270M"
    assert info.quantization == "Q4_K_M"
    assert info.context_length == 32768
    assert info.block_count == 18
    assert (info.head_count, info.head_count_kv, info.key_length) == (4, 1, 256)
    assert info.chat_template is None
    assert (info.bos_token, info.eos_token) == ("<bos>", "<eos>")
    assert info.tensor_count == 236
    assert info.parameter_count == 268_098_176
    assert info.file_size == demo_model_path.stat().st_size


def test_demo_model_cut_short_is_an_incomplete_download(demo_model_path: Path,
                                                        tmp_path: Path) -> None:
    cut = tmp_path / "partial.gguf"
    with demo_model_path.open("rb") as source:
        cut.write_bytes(source.read(50_000_000))
    message = _error(cut)
    assert message.startswith("incomplete download: the file ends at byte 50000000 but tensor")


def test_test_writer_sanity() -> None:
    # The crafted files are only meaningful if the writer lays out F32/Q4_K sizes right.
    assert Tensor("w", [256, 2], Q4_K).n_bytes() == 2 * 144
    assert KV("k", UINT32, 7).encode().endswith(struct.pack("<II", UINT32, 7))


# ---- split models: every part is validated ------------------------------------------


def test_every_part_of_a_split_model_is_validated(tmp_path: Path) -> None:
    parts = write_split_model(tmp_path, "big", 3)
    info = read_model_info(parts)
    assert info.architecture == "llama"
    single = read_gguf_info(parts[0])
    assert info.parameter_count > single.parameter_count  # counts the later parts' tensors


def test_a_truncated_later_part_is_named(tmp_path: Path) -> None:
    parts = write_split_model(tmp_path, "big", 3)
    data = parts[2].read_bytes()
    parts[2].write_bytes(data[:-10])
    read_gguf_info(parts[0])  # the first part alone looks fine: that was the hole
    with pytest.raises(GGUFError, match=r"part 3 of 3 \(big-00003-of-00003.gguf\)"):
        read_model_info(parts)


def test_garbage_as_a_later_part_is_refused(tmp_path: Path) -> None:
    parts = write_split_model(tmp_path, "big", 2)
    parts[1].write_bytes(b"GGUF" + b"\xff" * 64)
    with pytest.raises(GGUFError, match="part 2 of 2"):
        read_model_info(parts)


def test_parts_of_another_set_are_refused(tmp_path: Path) -> None:
    parts = write_split_model(tmp_path, "big", 3)
    (tmp_path / "elsewhere").mkdir()
    other = write_split_model(tmp_path / "elsewhere", "other", 2)
    with pytest.raises(GGUFError, match="do not belong together"):
        read_model_info([parts[0], other[1], parts[2]])


def test_a_missing_tensor_share_is_caught_by_the_total(tmp_path: Path) -> None:
    parts = write_split_model(tmp_path, "big", 2, tensor_total=5)
    with pytest.raises(GGUFError, match="promises 5"):
        read_model_info(parts)
