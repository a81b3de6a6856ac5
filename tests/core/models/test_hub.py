"""Search and repository listing against the fake Hub, and file-name parsing."""

from __future__ import annotations

import socket

import pytest

from desktop_app.core.models.hub import (
    GatedError,
    HubClient,
    NetworkError,
    NotFoundError,
    OfflineError,
    RateLimitError,
    ServerError,
    check_repo_id,
    error_for_status,
)
from desktop_app.core.models.quant import (
    RemoteFile,
    group_by_quant,
    group_models,
    quant_of,
    quant_sort_key,
    split_parts,
)
from desktop_app.core.models.split_files import split_name
from tests.core.models.fake_hub import FakeHub, sha256

# ---- file names --------------------------------------------------------------


@pytest.mark.parametrize(("name", "quant"), [
    ("Qwen3-4B-Q4_K_M.gguf", "Q4_K_M"),
    ("qwen2.5-7b-instruct-q4_k_m.gguf", "Q4_K_M"),
    ("Llama-3.2-1B-Instruct-Q8_0.gguf", "Q8_0"),
    ("model.IQ4_XS.gguf", "IQ4_XS"),
    ("Meta-Llama-3.1-8B-Instruct-IQ2_XXS.gguf", "IQ2_XXS"),
    ("gemma-3-1b-it-BF16.gguf", "BF16"),
    ("phi-4-mini-f16.gguf", "F16"),
    ("Qwen3-30B-A3B-UD-Q4_K_XL.gguf", "Q4_K_XL"),
    ("Mistral-7B-Instruct-v0.3-Q4_0_4_4.gguf", "Q4_0_4_4"),
    ("Q8_0/Big-Model-Q8_0-00001-of-00003.gguf", "Q8_0"),
    ("Q2_K-model-3B-Q6_K.gguf", "Q6_K"),  # the last token wins
    ("tinyllama.gguf", None),
    ("Qwen3-4B.gguf", None),
])
def test_quant_of_reads_the_name(name: str, quant: str | None) -> None:
    assert quant_of(name) == quant


def test_quantizations_sort_small_to_large_then_float_then_iq() -> None:
    names = ["IQ4_XS", "F16", "Q8_0", "Q2_K", "BF16", "Q4_K_M", "IQ2_XXS", "Q3_K_S", "Q6_K",
             "Q5_K_M", "WEIRD", None]
    ordered = sorted(names, key=quant_sort_key)
    assert ordered == ["Q2_K", "Q3_K_S", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16", "BF16",
                       "IQ2_XXS", "IQ4_XS", "WEIRD", None]


def test_split_name_parses_parts_and_rejects_nonsense() -> None:
    split = split_name("dir/Model-Q4_K_M-00002-of-00003.gguf")
    assert split is not None
    assert (split.stem, split.index, split.count) == ("dir/Model-Q4_K_M", 2, 3)
    assert split_name("Model-Q4_K_M.gguf") is None
    assert split_name("Model-00004-of-00003.gguf") is None


def test_group_models_joins_split_parts_and_skips_other_files() -> None:
    files = [
        RemoteFile("README.md", 10), RemoteFile("config.json", 5),
        RemoteFile("m-Q8_0.gguf", 800), RemoteFile("m-Q4_K_M.gguf", 400),
        RemoteFile("m-F16-00002-of-00002.gguf", 700), RemoteFile("m-F16-00001-of-00002.gguf", 900),
        RemoteFile("mmproj-m-f16.gguf", 50),
        RemoteFile("m-BF16-00001-of-00003.gguf", 1), RemoteFile("m-BF16-00003-of-00003.gguf", 1),
    ]
    models = group_models(files)
    assert [m.path for m in models] == ["m-Q4_K_M.gguf", "m-Q8_0.gguf",
                                        "m-F16-00001-of-00002.gguf", "m-BF16-00001-of-00003.gguf"]
    f16 = models[2]
    assert f16.is_split
    assert f16.size == 1600
    assert f16.complete
    assert [p.path for p in f16.parts] == ["m-F16-00001-of-00002.gguf",
                                           "m-F16-00002-of-00002.gguf"]
    assert not models[3].complete  # part 2 of 3 is missing
    assert list(group_by_quant(models)) == ["Q4_K_M", "Q8_0", "F16", "BF16"]


def test_split_parts_needs_the_whole_set() -> None:
    files = [RemoteFile("m-00001-of-00002.gguf"), RemoteFile("m-00002-of-00002.gguf"),
             RemoteFile("x-00001-of-00003.gguf")]
    assert [f.path for f in split_parts("m-00002-of-00002.gguf", files)] == [
        "m-00001-of-00002.gguf", "m-00002-of-00002.gguf"]
    with pytest.raises(LookupError, match="missing parts: 2, 3"):
        split_parts("x-00001-of-00003.gguf", files)
    with pytest.raises(LookupError):
        split_parts("absent.gguf", files)


@pytest.mark.parametrize("repo_id", ["../x", "a/..", "a", "a/b/c", "a\\b/c", "C:/x", " a/b"])
def test_bad_repo_ids_are_refused(repo_id: str) -> None:
    with pytest.raises(NotFoundError):
        check_repo_id(repo_id)


# ---- search and listing ------------------------------------------------------


@pytest.fixture
def populated(fake_hub: FakeHub) -> FakeHub:
    fake_hub.add_repo("bartowski/Qwen3-4B-GGUF", {
        "README.md": b"# card",
        "Qwen3-4B-Q4_K_M.gguf": b"q4" * 50,
        "Qwen3-4B-Q8_0.gguf": b"q8" * 90,
        "Qwen3-4B-IQ4_XS.gguf": b"iq" * 40,
        "Qwen3-4B-F16-00001-of-00002.gguf": b"a" * 100,
        "Qwen3-4B-F16-00002-of-00002.gguf": b"b" * 60,
    }, downloads=500, likes=3, license="apache-2.0",
        gguf={"total": 4_022_468_096, "architecture": "qwen3", "context_length": 40960})
    fake_hub.add_repo("someone/qwen-tiny-GGUF", {"tiny-Q2_K.gguf": b"t"}, downloads=20,
                      likes=90, last_modified="2025-06-01T00:00:00.000Z")
    fake_hub.add_repo("other/Llama-GGUF", {"l-Q4_0.gguf": b"l"}, downloads=900)
    fake_hub.add_repo("other/qwen-safetensors", {"model.safetensors": b"s"},
                      tags=["safetensors"], downloads=10_000)
    return fake_hub


def test_search_finds_gguf_repos_sorted(populated: FakeHub) -> None:
    client = HubClient()
    by_downloads = client.search("qwen")
    assert [r.repo_id for r in by_downloads] == ["bartowski/Qwen3-4B-GGUF",
                                                 "someone/qwen-tiny-GGUF"]
    assert by_downloads[0].downloads == 500
    assert by_downloads[0].author == "bartowski"
    assert next(r.repo_id for r in client.search("qwen", sort="likes")) == "someone/qwen-tiny-GGUF"
    assert [r.repo_id for r in client.search("", sort="downloads", limit=1)] == [
        "other/Llama-GGUF"]
    search = next(r for r in populated.requests if r.path == "/api/models")
    assert search.query["filter"] == ["gguf"]
    assert search.query["search"] == ["qwen"]


def test_search_sort_recent(populated: FakeHub) -> None:
    found = HubClient().search("qwen", sort="last_modified")
    assert found[0].repo_id == "someone/qwen-tiny-GGUF"
    assert found[0].last_modified is not None
    assert found[0].last_modified.year == 2025
    with pytest.raises(ValueError, match="sort"):
        HubClient().search("qwen", sort="stars")  # type: ignore[arg-type]


def test_repo_details_lists_files_with_checksums_grouped_by_quant(populated: FakeHub) -> None:
    details = HubClient().repo_details("bartowski/Qwen3-4B-GGUF")
    assert details.commit == populated.repos["bartowski/Qwen3-4B-GGUF"].commit
    q4 = details.file("Qwen3-4B-Q4_K_M.gguf")
    assert q4.size == 100
    assert q4.sha256 == sha256(b"q4" * 50)
    assert [(m.quant, m.path, m.size) for m in details.models] == [
        ("Q4_K_M", "Qwen3-4B-Q4_K_M.gguf", 100),
        ("Q8_0", "Qwen3-4B-Q8_0.gguf", 180),
        ("F16", "Qwen3-4B-F16-00001-of-00002.gguf", 160),
        ("IQ4_XS", "Qwen3-4B-IQ4_XS.gguf", 80),
    ]
    assert details.license == "apache-2.0"
    assert details.architecture == "qwen3"
    assert details.parameters == 4_022_468_096
    assert details.context_length == 40960
    with pytest.raises(NotFoundError, match="no file named"):
        details.file("nope.gguf")


def test_card_facts_are_optional(populated: FakeHub) -> None:
    populated.add_repo("x/bare-GGUF", {"b-Q4_0.gguf": b"b"}, license=None)
    details = HubClient().repo_details("x/bare-GGUF")
    assert (details.license, details.architecture, details.parameters,
            details.context_length) == (None, None, None, None)


def test_endpoint_is_read_from_the_environment_at_call_time(
        populated: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    client = HubClient()
    other = FakeHub().start()
    try:
        other.add_repo("z/only-here-GGUF", {"z-Q4_0.gguf": b"z"})
        monkeypatch.setenv("HF_ENDPOINT", other.url)
        assert [r.repo_id for r in client.search("")] == ["z/only-here-GGUF"]
        assert len(other.requests) == 1
    finally:
        other.stop()


# ---- errors -------------------------------------------------------------------


def test_missing_repo_is_not_found(populated: FakeHub) -> None:
    with pytest.raises(NotFoundError, match="nobody/nothing"):
        HubClient().repo_details("nobody/nothing")


def test_rate_limit_carries_retry_after(populated: FakeHub) -> None:
    populated.knobs.api_status = 429
    populated.knobs.retry_after = 17
    with pytest.raises(RateLimitError, match="17 seconds") as caught:
        HubClient().repo_details("bartowski/Qwen3-4B-GGUF")
    assert caught.value.retry_after == 17


def test_server_error_is_a_hub_error(populated: FakeHub) -> None:
    populated.knobs.api_status = 503
    with pytest.raises(ServerError, match="503"):
        HubClient().repo_details("bartowski/Qwen3-4B-GGUF")


def test_unreachable_hub_is_a_network_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(NetworkError, match="Could not reach"):
        HubClient().repo_details("a/b")


def test_status_mapping_messages() -> None:
    gated = error_for_status(401, "x", "org/model", gated=True)
    assert isinstance(gated, GatedError)
    assert "accept the licence" in str(gated)
    assert "huggingface-cli login" in str(gated)
    assert isinstance(error_for_status(404, "The file", "o/r"), NotFoundError)
    assert isinstance(error_for_status(403, "The file", "o/r"), NotFoundError)
    assert "later" in str(error_for_status(429, "x", "o/r"))


# ---- offline ------------------------------------------------------------------


def test_offline_setting_makes_no_request(populated: FakeHub) -> None:
    client = HubClient(offline=True)
    with pytest.raises(OfflineError, match="offline"):
        client.search("qwen")
    with pytest.raises(OfflineError):
        client.repo_details("bartowski/Qwen3-4B-GGUF")
    with pytest.raises(OfflineError):
        client.file_metadata("bartowski/Qwen3-4B-GGUF", "Qwen3-4B-Q4_K_M.gguf", "main")
    assert populated.requests == []


def test_hf_hub_offline_env_makes_no_request(populated: FakeHub,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    client = HubClient()
    assert client.offline
    with pytest.raises(OfflineError):
        client.search("qwen")
    assert populated.requests == []
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    assert client.search("qwen")
    assert len(populated.requests) == 1


def test_fit_badges_and_recommendation_follow_memory() -> None:
    from desktop_app.core.memory_estimate import Fit
    from desktop_app.core.models.quant import model_fit, recommend

    gib = 1024**3
    models = group_models([
        RemoteFile("m-Q4_K_M.gguf", 2 * gib), RemoteFile("m-Q8_0.gguf", 4 * gib),
        RemoteFile("m-F16.gguf", 8 * gib), RemoteFile("m-Q2_K.gguf", None),
    ])
    fits = {m.path: model_fit(m, 6 * gib, context_length=32768) for m in models}
    assert fits == {"m-Q2_K.gguf": None, "m-Q4_K_M.gguf": Fit.FITS, "m-Q8_0.gguf": Fit.TIGHT,
                    "m-F16.gguf": Fit.WONT_FIT}
    best = recommend(models, fits)
    assert best is not None
    assert best.path == "m-Q4_K_M.gguf"
    roomy = {m.path: model_fit(m, 64 * gib) for m in models}
    best = recommend(models, roomy)
    assert best is not None
    assert best.path == "m-Q8_0.gguf"  # F16 fits too but is never the recommendation
    assert recommend(models, {m.path: Fit.WONT_FIT for m in models}) is None
