"""Personal data in the feedback log: what an editor reading the stored messages sees, and who may read the
SQLite files at all. One test per gap reported in the issue tracker (WeChat ids, QQ numbers, e-mail
addresses, names, ID card numbers, file modes)."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path

from suggest.authoring.history import History
from suggest.usage.feedback import FeedbackStore
from suggest.usage.privacy import mask


def stored(tmp_path: Path, *messages: str) -> list[str]:
    """The messages as the feedback log keeps them (FeedbackStore.add, read back with recent())."""
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    for message in messages:
        store.add(message, "bargain-01", "copied", situation="bargain")
    return [record.message for record in reversed(store.recent(len(messages)))]


def test_wechat_ids_are_masked(tmp_path):
    assert stored(tmp_path,
                  "加我微信号：zhang_san88 发你图",
                  "vx: abc-12345，方便联系",
                  "我的是wxid_8a7b6c5d4e3f",
                  "VX Tom_Lee2020 谢谢",
                  "微信支付可以吗") == [
        "加我微信号：[微信号] 发你图",
        "vx: [微信号]，方便联系",
        "我的是[微信号]",
        "VX [微信号] 谢谢",
        "微信支付可以吗",
    ]


def test_qq_numbers_are_masked(tmp_path):
    assert stored(tmp_path,
                  "QQ 123456789 联系我",
                  "qq:98765",
                  "扣扣13812345678在线",
                  "QQ号是 2468013579，加一下") == [
        "QQ [QQ号] 联系我",
        "qq:[QQ号]",
        "扣扣[QQ号]在线",
        "QQ号是 [QQ号]，加一下",
    ]


def test_email_addresses_are_masked(tmp_path):
    assert stored(tmp_path,
                  "发票发到 zhang.san+shop@example.com.cn 谢谢",
                  "邮箱123456789@qq.com") == [
        "发票发到 [邮箱] 谢谢",
        "邮箱[邮箱]",
    ]


def test_names_after_lead_ins_are_masked_and_shop_talk_is_kept():
    cases = {
        "我叫张三丰，麻烦快点发货": "我叫[姓名]，麻烦快点发货",
        "收件人：李四 电话13812345678": "收件人：[姓名] 电话[手机号]",
        "联系人是王小明": "联系人是[姓名]",
        "收货人欧阳娜娜手机13912345678": "收货人[姓名]手机[手机号]",
        "收件人赵六电话13712345678": "收件人[姓名]电话[手机号]",
        "收件人改成孙七。": "收件人改成[姓名]。",
        # ordinary shop talk after the same words is left alone
        "我叫了快递": "我叫了快递",
        "收件人写错了": "收件人写错了",
        "联系人电话13812345678": "联系人电话[手机号]",
        "收货人是我妈妈": "收货人是我妈妈",
        "我叫快递小哥送上楼": "我叫快递小哥送上楼",
    }
    assert {text: mask(text) for text in cases} == cases


def test_id_card_numbers_are_labelled_and_fully_masked(tmp_path):
    assert stored(tmp_path,
                  "身份证33010619900101123X，报关要用",
                  "身份证号 110105198512310012",
                  "证件号 33010619900101123x 谢谢",
                  "订单2023111512345678901") == [
        "身份证[身份证号]，报关要用",
        "身份证号 [身份证号]",
        "证件号 [身份证号] 谢谢",
        "订单[订单号]",
    ]


def test_a_long_message_is_masked_before_it_is_cut(tmp_path):
    """The log keeps at most MAX_STORED_CHARS characters of a message. Cut first, a phone number split at the
    cut would keep digits no pattern recognises any more: the message is masked first, then cut."""
    from suggest.usage.feedback import MAX_STORED_CHARS

    message = "请" * (MAX_STORED_CHARS - 6) + "电话13812345678 地址浙江省杭州市西湖区文三路88号 微信号：zhang_san88"
    [kept] = stored(tmp_path, message)
    assert len(kept) == MAX_STORED_CHARS and kept.endswith("…") and "电话[手" in kept
    assert not any(ch.isdigit() for ch in kept) and "zhang" not in kept
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.log_abstention(message)
    assert store.events()[0][2] == kept  # unserved messages alike


@contextmanager
def _umask(value: int):
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def _modes(path: Path) -> dict[str, int]:
    """Mode bits of the database and of its -wal / -shm side files that exist."""
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return {f.name: f.stat().st_mode & 0o777 for f in files if f.exists()}


def test_sqlite_files_are_owner_only(tmp_path):
    with _umask(0o022):  # the usual umask, under which files are created world-readable (0644)
        feedback = tmp_path / "var" / "feedback.sqlite3"
        store = FeedbackStore(feedback)
        # a reader keeps its connection open, so the write leaves the -wal and -shm files on disk
        with closing(sqlite3.connect(feedback)) as reader:
            reader.execute("SELECT COUNT(*) FROM feedback").fetchone()
            store.add("在吗", "greeting-01", "sent")
            modes = _modes(feedback)
        assert {"feedback.sqlite3", "feedback.sqlite3-wal", "feedback.sqlite3-shm"} <= set(modes), modes
        assert modes == {name: 0o600 for name in modes}, {name: oct(mode) for name, mode in modes.items()}

        history_path = tmp_path / "var" / "history.sqlite3"
        history = History(history_path)
        with history.recording("小王", "update_reply", "bargain-01", "改了一句", {}, {}):
            pass
        modes = _modes(history_path)
        assert modes and modes == {name: 0o600 for name in modes}, {name: oct(mode) for name, mode in modes.items()}
