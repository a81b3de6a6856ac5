"""How fast is search over a big history, in English and Chinese? (Target: <= 50 ms.)

Builds a history of ``--messages`` messages (default 10,000: 200 conversations
of 50 messages, about a third Chinese, a third English, a third mixed, 150 to
900 characters each) through ChatStore, so the FTS5 index is filled by the
same triggers as in the app, then times :meth:`ChatStore.search` (the query,
the top 50 hits and their snippets, which is what the Ctrl+K window shows)
for one-, two- and three-character Chinese queries, English words and
prefixes, and mixed queries. Also reported: the time to build the history
(index included), the file size, how many messages match in all (search
returns the best 50), and for comparison a ``LIKE '%…%'`` scan over every
row: for Chinese its row count must equal the index's (character bigrams
miss no substring); for English LIKE also matches inside words, the index
at word starts.

Usage: ``.venv/bin/python bench/bench_search.py [--messages 10000] [--repeat 30]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_app.core.engine.api import SamplingParams
from desktop_app.core.storage.chat_store import ChatStore
from desktop_app.core.storage.search_text import match_expression

CHINESE = [
    "我们去年夏天参观了长城，风景非常壮观。", "成都的大熊猫基地每天早上开放。",
    "个税的专项附加扣除包括子女教育和住房贷款利息。", "请帮我写一首关于秋天的诗。",
    "这个数据库的查询速度比以前快了很多。", "北京的冬天很冷，记得多穿衣服。",
    "学习编程最重要的是多写代码、多读代码。", "明天的会议改到下午三点。",
    "西湖的春天很美，适合散步。", "年终奖可以选择单独计税。", "这本书讲的是人工智能的历史。",
    "周末我们去爬山吧，天气预报说是晴天。", "妈妈做的红烧肉最好吃。",
    "高铁从上海到北京只要四个多小时。", "他在图书馆找到了一本很旧的地图。",
]
ENGLISH = [
    "Sourdough bread needs a lively starter and a long, cool fermentation.",
    "The Great Wall is best visited early in the morning before the crowds.",
    "Use a context manager so the file is closed even when an exception is raised.",
    "Lighthouses guided ships along dangerous coasts for centuries.",
    "Quarterly tax estimates are due in April, June, September and January.",
    "Giant pandas spend most of the day eating bamboo.",
    "SQLite keeps the whole database in a single file on disk.",
    "A binary search halves the remaining range at every step.",
    "The museum's new wing displays maps from the sixteenth century.",
    "Remember to water the tomatoes twice a week in summer.",
]

QUERIES = {
    "zh 1 char": ["城", "税", "猫"],
    "zh 2 chars": ["长城", "熊猫", "个税", "数据"],
    "zh 3 chars": ["数据库", "大熊猫", "图书馆"],
    "zh phrase + word": ["长城 风景", "个税 计税"],
    "en word": ["bread", "pandas", "database"],
    "en prefix": ["sour", "light", "fer"],
    "en two words": ["great wall", "binary search"],
    "mixed": ["SQLite 数据库", "pandas 熊猫"],
    "rare / none": ["zebra", "火星"],
}


def _text(rng: random.Random) -> str:
    kind = rng.random()
    parts: list[str] = []
    target = rng.randint(150, 900)
    while sum(map(len, parts)) < target:
        if kind < 0.33:
            parts.append(rng.choice(CHINESE))
        elif kind < 0.66:
            parts.append(rng.choice(ENGLISH))
        else:
            parts.append(rng.choice(CHINESE if rng.random() < 0.5 else ENGLISH))
    return " ".join(parts)


def build(path: Path, messages: int, seed: int = 1) -> float:
    """Fill a new history at ``path``; returns the seconds it took."""
    rng = random.Random(seed)
    store = ChatStore.open(path)
    started = time.perf_counter()
    per_conversation = 50
    for c in range(messages // per_conversation):
        conversation = store.create_conversation(model_id=None, system_prompt="",
                                                 params=SamplingParams())
        # One transaction per conversation, so this measures indexing, not fsyncs.
        store.database.execute("BEGIN")
        for n in range(per_conversation):
            _add(store, conversation.id, n, _text(rng))
        store.database.execute(
            "UPDATE conversations SET current_message_id = (SELECT max(id) FROM messages "
            "WHERE conversation_id = ?), title = ? WHERE id = ?",
            (conversation.id, "长城 trip notes" if c == 0 else f"Chat {c}", conversation.id))
        store.database.execute("COMMIT")
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def _add(store: ChatStore, conversation_id: int, n: int, text: str) -> None:
    """One message, inside the caller's transaction (add_message opens its own)."""
    store.database.execute(
        "INSERT INTO messages (conversation_id, parent_id, position, role, content, state, "
        "created_at) VALUES (?, (SELECT max(id) FROM messages WHERE conversation_id = ?), "
        "?, ?, ?, 'complete', ?)",
        (conversation_id, conversation_id, n, "user" if n % 2 == 0 else "assistant", text,
         time.time()))


def _time(action: object, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hearth.sqlite3"
        seconds = build(path, args.messages)
        store = ChatStore.open(path)
        db = store.database
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = path.stat().st_size
        text_bytes = db.query("SELECT sum(length(CAST(content AS BLOB))) FROM messages")[0][0]
        print(f"history: {args.messages:,} messages, {text_bytes / 1e6:.1f} MB of text, "
              f"file {size / 1e6:.1f} MB with the index; built in {seconds:.1f} s "
              f"({seconds / args.messages * 1e6:.0f} µs per message, index included)")
        print()
        print(f"{'query kind':<18} {'query':<14} {'matching':>8} {'median ms':>10} "
              f"{'p95 ms':>7} {'max ms':>7} | {'LIKE rows':>9} {'LIKE ms':>8}")
        worst = 0.0
        for kind, queries in QUERIES.items():
            for query in queries:
                store.search(query)  # warm the page cache, as a second search would be
                times = _time(lambda q=query: store.search(q), args.repeat)
                matching = db.query("SELECT count(*) FROM message_search WHERE message_search "
                                    "MATCH ?", (match_expression(query),))[0][0]
                # LIKE on every term: the scan a search without an index does.
                words = query.split()
                like_sql = ("SELECT count(*) FROM messages WHERE "
                            + " AND ".join("content LIKE ?" for _ in words))
                like_args = [f"%{w}%" for w in words]
                like_times = _time(lambda s=like_sql, a=like_args: db.query(s, a), 3)
                like_rows = db.query(like_sql, like_args)[0][0]
                p95 = sorted(times)[int(len(times) * 0.95) - 1]
                worst = max(worst, statistics.median(times))
                print(f"{kind:<18} {query:<14} {matching:>8} {statistics.median(times):>10.2f} "
                      f"{p95:>7.2f} {max(times):>7.2f} | {like_rows:>9} "
                      f"{statistics.median(like_times):>8.1f}")
        print()
        print(f"slowest median: {worst:.2f} ms (target <= 50 ms)")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
